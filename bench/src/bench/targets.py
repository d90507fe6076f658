"""What the load asks: for each gateway route, a rotation of queries that have an answer."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from catalog_service import service
from catalog_service.index import CatalogIndex
from contracts.domain import ContentKind, DurationType, Platform

ROUTES = ("get_max_duration", "get_score_count", "get_count_platform", "get_actor",
          "prod_per_county", "get_contents", "get_recommendation")
CATALOG_ROUTES = ROUTES[:-1]
PER_ROUTE = 48


@dataclass(frozen=True)
class Query:
    route: str
    params: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/{self.route}?{urlencode(self.params)}"


def _sample(items: list[Any], count: int, rng: random.Random) -> list[Any]:
    items = sorted(items, key=repr)
    return items if len(items) <= count else rng.sample(items, count)


def route_queries(index: CatalogIndex, *, per_route: int = PER_ROUTE,
                  seed: int = 7) -> dict[str, list[Query]]:
    """Queries with an answer in this catalog (a 404 would measure the error path instead)."""
    rng = random.Random(seed)
    durations = [key for key in index.longest_movie if all(part is not None for part in key)]
    scores = list(index.movie_scores)
    cast = list(index.top_cast)
    production = list(index.country_production)
    titles = [entry.title for entry in index.search_entries]
    queries = {
        "get_max_duration": [
            {"year": year, "platform": platform, "duration_type": kind}
            for year, platform, kind in _sample(durations, per_route, rng)],
        "get_score_count": [
            {"platform": platform, "scored": rng.choice((50, 70, 85)), "year": year}
            for platform, year in _sample(scores, per_route, rng)],
        "get_count_platform": [{"platform": p.value} for p in Platform],
        "get_actor": [{"platform": platform, "year": year}
                      for platform, year in _sample(cast, per_route, rng)],
        "prod_per_county": [{"tipo": kind.value, "pais": country, "anio": year}
                            for kind, country, year in _sample(production, per_route, rng)],
        "get_contents": [{"rating": rating} for rating in _sample(
            list(index.titles_per_rating), per_route, rng)],
        "get_recommendation": [{"titulo": title} for title in _sample(titles, per_route, rng)],
    }
    return {route: [Query(route, params) for params in rows] for route, rows in queries.items()}


def catalog_call(index: CatalogIndex, query: Query) -> Callable[[], object]:
    """The catalog service's own function for one gateway query, ready to time in process."""
    p = query.params
    if query.route == "get_max_duration":
        platform, kind = Platform(p["platform"]), DurationType(p["duration_type"])
        return lambda: service.longest_movie(index=index, year=p["year"], platform=platform,
                                             duration_type=kind)
    if query.route == "get_score_count":
        platform = Platform(p["platform"])
        return lambda: service.count_scored_movies(index=index, platform=platform,
                                                   scored=p["scored"], year=p["year"])
    if query.route == "get_count_platform":
        platform = Platform(p["platform"])
        return lambda: service.count_platform_movies(index=index, platform=platform)
    if query.route == "get_actor":
        platform = Platform(p["platform"])
        return lambda: service.top_cast_name(index=index, platform=platform, year=p["year"])
    if query.route == "prod_per_county":
        content = ContentKind(p["tipo"])
        return lambda: service.count_country_production(index=index, kind=content,
                                                        country=p["pais"], year=p["anio"])
    if query.route == "get_contents":
        return lambda: service.count_rated_titles(index=index, rating=p["rating"])
    raise ValueError(f"{query.route} is not a catalog query")
