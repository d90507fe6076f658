"""The six queries on the real dataset, each answer recomputed with plain `csv` over the raw files.

The expected values never go through the ETL or the service: testkit.raw_csv reads the raw CSVs
again and applies the documented semantics by hand. Each test walks many parameter combinations and
reports every mismatch at once.
"""

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalog_service.config import Settings
from catalog_service.main import create_app
from contracts.schema import CATALOG_FILE
from contracts.titles import normalise_title
from testkit.apps import AppClient
from testkit.raw_csv import FILES, read_titles
from testkit.raw_csv import RawTitle as Title


@pytest.fixture(scope="module")
def titles(real_data_dir: Path) -> list[Title]:
    return read_titles(real_data_dir)


@pytest.fixture(scope="module")
def movies(titles: list[Title]) -> list[Title]:
    return [t for t in titles if t.type == "movie"]


@pytest.fixture(scope="module")
async def client(real_catalog_dir: Path,
                 app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(catalog_path=real_catalog_dir / CATALOG_FILE))
    async with app_client(app, base_url="http://t") as c:
        yield c


async def _check(
    client: httpx.AsyncClient, path: str, cases: Iterable[tuple[dict[str, Any], Any]]
) -> int:
    """GET path with each case's params; expected None means 404. Fails listing every mismatch."""
    wrong, checked = [], 0
    for params, expected in cases:
        response = await client.get(path, params=params)
        got = response.json() if response.status_code == 200 else response.status_code
        if got != (404 if expected is None else expected):
            wrong.append(f"{params}: expected {expected}, got {got}")
        checked += 1
    assert not wrong, f"{len(wrong)} of {checked} wrong:\n" + "\n".join(wrong[:20])
    return checked


def _years(items: Iterable[Title]) -> list[int]:
    present = sorted({t.year for t in items})
    return [*present, 1901, 2099]  # two years nothing was released in


async def test_row_count(client: httpx.AsyncClient, titles: list[Title]) -> None:
    assert (await client.get("/readyz")).json()["rows"] == len(titles) == 22998


async def test_max_duration_every_filter_combination(
    client: httpx.AsyncClient, movies: list[Title]
) -> None:
    # The best movie of every (year, platform, unit) cell; a filter combination takes the
    # best of the cells it covers.
    cells: dict[tuple[int, str, str], tuple[int, str]] = {}
    for m in movies:
        if m.duration is not None and m.duration_type is not None:
            key = (m.year, m.platform, m.duration_type)
            cells[key] = min(cells.get(key, (0, "~")), (-m.duration, m.title))
    cases = []
    for year in [None, *_years(movies)]:
        for platform in [None, *FILES]:
            for duration_type in (None, "min", "season"):
                matching = [best for (y, p, u), best in cells.items()
                            if year in (None, y) and platform in (None, p)
                            and duration_type in (None, u)]
                best = min(matching)[1] if matching else None
                params = {k: v for k, v in (("year", year), ("platform", platform),
                                            ("duration_type", duration_type)) if v is not None}
                cases.append((params, {"title": best} if best else None))
    assert await _check(client, "/v1/max-duration", cases) > 1000


async def test_score_count_every_platform_year(
    client: httpx.AsyncClient, movies: list[Title]
) -> None:
    scores_of: dict[tuple[str, int], list[int]] = defaultdict(list)
    for m in movies:
        if m.score is not None:
            scores_of[(m.platform, m.year)].append(m.score)
    cases = []
    for platform in FILES:
        for year in _years(movies):
            scores = scores_of[(platform, year)]
            for scored in (0, 33, 67, 90, 99):
                count = sum(score > scored for score in scores)
                cases.append(({"platform": platform, "scored": scored, "year": year},
                              {"count": count}))
    assert await _check(client, "/v1/score-count", cases) > 1000


async def test_count_platform(client: httpx.AsyncClient, movies: list[Title]) -> None:
    counts = Counter(m.platform for m in movies)
    assert counts == {"amazon": 7814, "disney": 1052, "hulu": 1484, "netflix": 6131}
    cases = [({"platform": p.upper()}, {"count": n}) for p, n in counts.items()]
    await _check(client, "/v1/count-platform", cases)


async def test_actor_every_platform_year(client: httpx.AsyncClient, titles: list[Title]) -> None:
    names_of: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for t in titles:
        names_of[(t.platform, t.year)].update(t.cast)  # every appearance counts
    cases = []
    for platform in FILES:
        for year in _years(titles):
            names = names_of[(platform, year)]
            best = min(names.items(), key=lambda kv: (-kv[1], kv[0]))[0] if names else None
            cases.append(({"platform": platform, "year": year},
                          {"name": best} if best else None))
    assert await _check(client, "/v1/actor", cases) > 300


async def test_country_production_many_countries_years_kinds(
    client: httpx.AsyncClient, titles: list[Title]
) -> None:
    kinds = {
        "movie": lambda t: t.type == "movie",
        "series": lambda t: t.type == "tv show",
        "documentary": lambda t: t.is_documentary,
    }
    by_country = Counter(c for t in titles for c in t.countries)
    countries = [c for c, _ in by_country.most_common(25)] + ["uruguay", "iceland", "argentina"]
    years = [1970, 1995, 2005, 2010, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2099]
    of_year: dict[int, list[Title]] = defaultdict(list)
    for t in titles:
        of_year[t.year].append(t)
    cases = []
    for country in countries:
        for year in years:
            for kind, is_kind in kinds.items():
                count = sum(1 for t in of_year[year] if country in t.countries and is_kind(t))
                cases.append(({"kind": kind, "country": country, "year": year},
                              {"kind": kind, "country": country, "year": year, "count": count}))
    assert await _check(client, "/v1/country-production", cases) > 1000


async def test_country_production_counts_argentinian_movies_of_2018_in_any_case(
    client: httpx.AsyncClient, titles: list[Title]
) -> None:
    count = sum(1 for t in titles if "argentina" in t.countries and t.year == 2018
                and t.type == "movie")
    response = await client.get("/v1/country-production",
                                params={"kind": "Movie", "country": "Argentina", "year": 2018})
    assert response.json() == {"kind": "movie", "country": "argentina", "year": 2018,
                               "count": count}
    unknown = await client.get("/v1/country-production",
                               params={"kind": "movie", "country": "atlantis", "year": 2018})
    assert unknown.status_code == 404


async def test_contents_every_rating(client: httpx.AsyncClient, titles: list[Title]) -> None:
    counts = Counter(t.rating for t in titles)
    assert "" not in counts
    cases: list[tuple[dict[str, str], dict[str, int] | None]] = [
        ({"rating": r}, {"count": n}) for r, n in counts.items()]
    cases.append(({"rating": "x-rated"}, None))
    await _check(client, "/v1/contents", cases)
    body = (await client.get("/v1/contents", params={"rating": "x-rated"})).json()
    assert body["accepted"] == sorted(counts)


async def test_title_records_match_the_raw_rows(
    client: httpx.AsyncClient, titles: list[Title]
) -> None:
    for title in titles[::997]:
        body = (await client.get(f"/v1/titles/{title.id}")).json()
        got = (body["title"], body["type"], body["release_year"], body["rating"],
               body["duration_int"], body["score"])
        assert got == (title.title, title.type, title.year, title.rating, title.duration,
                       title.score), title.id


async def test_search_finds_exact_movie_titles_first(
    client: httpx.AsyncClient, movies: list[Title]
) -> None:
    for movie in movies[::1009]:
        body = (await client.get("/v1/titles/search", params={"q": movie.title.upper()})).json()
        first = body["results"][0]
        assert first["similarity"] == 1.0, movie.title
        assert first["type"] == "movie"
        assert normalise_title(first["title"]) == normalise_title(movie.title)
