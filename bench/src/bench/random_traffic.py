"""Random traffic over the whole domain, as new users send it: the paths a load run walks once.

Per route a shuffled list of paths drawn from everything the route can be asked: every
platform x score x year for score counts, every (platform, year) a cast is known for, every
catalog title for recommendations and every catalog id for title pages. The title-keyed
routes never repeat a key within a run (the lists hold each title or id once), so neither the
gateway's answer cache nor any other can serve them; the others draw with replacement from a
domain of thousands of keys. The mix takes the routes in turn from their own lists.
"""

import random
from urllib.parse import urlencode

from catalog_service.index import CatalogIndex
from contracts.domain import SCORE_MAX, SCORE_MIN, ContentKind, Platform

RANDOM_ROUTES = ("get_score_count", "get_actor", "get_max_duration", "prod_per_county",
                 "get_contents", "get_recommendation", "titles/{id}")
TITLE_KEYED = ("get_recommendation", "titles/{id}")
MIX = "mix"


def _query(route: str, params: dict[str, object]) -> str:
    given = {name: value for name, value in params.items() if value is not None}
    return f"/{route}?{urlencode(given)}" if given else f"/{route}"


def random_paths(index: CatalogIndex, *, count: int, seed: int = 11) -> dict[str, list[str]]:
    """Per route up to `count` gateway paths in random order; title-keyed ones never repeat."""
    rng = random.Random(seed)
    years = sorted({year for _, year in index.movie_scores})
    platforms = [p.value for p in Platform]
    cast_keys = sorted(index.top_cast)
    durations = sorted(index.longest_movie, key=repr)
    countries = sorted(index.countries)
    ratings = sorted(index.titles_per_rating)
    titles = sorted({entry.title for entry in index.search_entries})
    ids = sorted(index.records)
    rng.shuffle(titles)
    rng.shuffle(ids)

    def score_count() -> str:
        return _query("get_score_count", {"platform": rng.choice(platforms),
                                          "scored": rng.randint(SCORE_MIN, SCORE_MAX),
                                          "year": rng.choice(years)})

    def actor() -> str:
        platform, year = rng.choice(cast_keys)
        return _query("get_actor", {"platform": platform, "year": year})

    def max_duration() -> str:
        year, platform, kind = rng.choice(durations)
        return _query("get_max_duration",
                      {"year": year, "platform": platform, "duration_type": kind})

    def country() -> str:
        return _query("prod_per_county", {"tipo": rng.choice(list(ContentKind)).value,
                                          "pais": rng.choice(countries),
                                          "anio": rng.choice(years)})

    def contents() -> str:
        return _query("get_contents", {"rating": rng.choice(ratings)})

    drawn = {"get_score_count": score_count, "get_actor": actor,
             "get_max_duration": max_duration, "prod_per_county": country,
             "get_contents": contents}
    paths = {route: [draw() for _ in range(count)] for route, draw in drawn.items()}
    paths["get_recommendation"] = [_query("get_recommendation", {"titulo": title})
                                   for title in titles[:count]]
    paths["titles/{id}"] = [f"/titles/{title_id}" for title_id in ids[:count]]
    return paths


def mixed(paths: dict[str, list[str]]) -> list[str]:
    """Every route in turn, each from its own list, until the shortest list runs out."""
    longest = min(len(route_paths) for route_paths in paths.values())
    return [paths[route][i] for i in range(longest) for route in RANDOM_ROUTES]


def internal_paths(index: CatalogIndex, recsys_ids: list[str], *, count: int,
                   seed: int = 13) -> dict[str, list[str]]:
    """Random keys straight at the internal services (no gateway): catalog and recsys alone."""
    rng = random.Random(seed)
    years = sorted({year for _, year in index.movie_scores})
    platforms = [p.value for p in Platform]
    ids = sorted(index.records)
    rng.shuffle(ids)
    movies = list(recsys_ids)
    rng.shuffle(movies)
    return {
        "catalog /v1/score-count": [
            _query("v1/score-count", {"platform": rng.choice(platforms),
                                      "scored": rng.randint(SCORE_MIN, SCORE_MAX),
                                      "year": rng.choice(years)}) for _ in range(count)],
        "catalog /v1/titles/{id}": [f"/v1/titles/{title_id}" for title_id in ids[:count]],
        "recsys /v1/neighbours/{id}": [f"/v1/neighbours/{movie_id}?k=10"
                                       for movie_id in movies[:count]],
    }
