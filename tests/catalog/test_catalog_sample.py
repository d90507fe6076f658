"""The six queries on the ETL output of the hand-written sample, answers worked out by hand.

The catalog after the ETL (5 rows quarantined: ns7, the second ns2, hs6, as5, as6):
netflix movies ns1 "the long night" 2020 150min 80, ns2 "another long night" 2020 150min 65,
ns3 "short film" 2020 95min 45, ns5 "tango story" 2018 88min 72; shows ns4 2021, ns6 2019, ns8 2018.
hulu movies hs1 2021 no duration 48, hs2 2020 74min 8, hs4 2021 108min 77, hs7 2020 130min 66,
hs8 2020 95min 35; shows hs3 2019, hs5 2018, hs9 2021.
amazon movies as1 2014 113min 99, as2 2018 101min 70, as3 2018 52min 40, as7 2018 101min (score
null: 101 is out of range), as8 2018 95min 85; shows as4 2018, as9 2016.
disney movies ds1 2016 23min 90, ds2 1988 91min 70, ds3 2018 78min 83, ds6 2020 91min null,
ds7 2020 88min 30, ds8 2020 91min null; shows ds4 2021, ds5 2020.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalog_service.config import Settings
from catalog_service.main import create_app
from contracts.schema import CATALOG_FILE
from testkit.apps import AppClient


@pytest.fixture(scope="module")
async def client(sample_catalog_dir: Path,
                 app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(catalog_path=sample_catalog_dir / CATALOG_FILE))
    async with app_client(app, base_url="http://t") as c:
        yield c


async def get(
    client: httpx.AsyncClient, url: str, status: int = 200, params: dict | None = None
) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == status, response.text
    return response.json()


async def test_loaded_every_kept_row(client: httpx.AsyncClient) -> None:
    body = await get(client, "/readyz")
    assert body["rows"] == 30  # 7 netflix + 8 hulu + 7 amazon + 8 disney
    assert body["data_version"]


@pytest.mark.parametrize(("query", "title"), [
    ("", "another long night"),  # 150 = 150, alphabetical
    ("?platform=netflix&year=2020", "another long night"),
    ("?platform=amazon&year=2018", "big score"),  # 101 = 101
    ("?platform=disney&year=2020", "unrated wonder"),  # ds6 91 = ds8 91
    ("?platform=hulu&year=2020", "night drive"),
    ("?platform=hulu&year=2021", "the marksman returns"),  # hs1 has no duration
    ("?platform=disney", "ernest saves winter"),  # ds2, ds6, ds8 all 91
    ("?year=2014", "the grand voyage"),
    ("?year=2018", "big score"),
    ("?duration_type=min&platform=hulu", "night drive"),
])
async def test_max_duration(client: httpx.AsyncClient, query: str, title: str) -> None:
    assert await get(client, f"/v1/max-duration{query}") == {"title": title}


@pytest.mark.parametrize("query", ["?duration_type=season", "?year=1988&platform=netflix",
                                   "?year=2019"])
async def test_max_duration_none(client: httpx.AsyncClient, query: str) -> None:
    await get(client, f"/v1/max-duration{query}", 404)


@pytest.mark.parametrize(("query", "count"), [
    ("platform=amazon&scored=60&year=2018", 2),  # as2 70, as8 85 (as7 has no score)
    ("platform=amazon&scored=84&year=2018", 1),
    ("platform=amazon&scored=85&year=2018", 0),
    ("platform=netflix&scored=64&year=2020", 2),
    ("platform=netflix&scored=65&year=2020", 1),
    ("platform=netflix&scored=0&year=2020", 3),
    ("platform=disney&scored=20&year=2020", 1),  # derived scores: only ds7 has one
    ("platform=disney&scored=82&year=2018", 1),  # ds3: mean 4.1667 x 20 -> 83
    ("platform=disney&scored=83&year=2018", 0),
    ("platform=hulu&scored=0&year=2020", 3),
    ("platform=hulu&scored=50&year=2021", 1),
    ("platform=hulu&scored=0&year=2019", 0),  # only a tv show that year
])
async def test_score_count(client: httpx.AsyncClient, query: str, count: int) -> None:
    assert await get(client, f"/v1/score-count?{query}") == {"count": count}


@pytest.mark.parametrize(("platform", "count"), [("netflix", 4), ("hulu", 5), ("amazon", 5),
                                                 ("disney", 6)])
async def test_count_platform(client: httpx.AsyncClient, platform: str, count: int) -> None:
    assert await get(client, f"/v1/count-platform?platform={platform}") == {"count": count}


@pytest.mark.parametrize(("query", "name"), [
    ("platform=netflix&year=2020", "lucia perez"),  # tie with tom hardy, 2 each
    ("platform=netflix&year=2018", "marta gil"),
    ("platform=netflix&year=2021", "ken ito"),  # tie with zoe park
    ("platform=hulu&year=2020", "liam neal"),
    ("platform=hulu&year=2021", "kate wynn"),  # tie with liam neal, 2 each
    ("platform=amazon&year=2018", "ana bell"),  # 3
    ("platform=amazon&year=2016", "brendan gale"),
    ("platform=disney&year=2020", "noel parker"),  # tie with tony ansel, 2 each
    ("platform=disney&year=2016", "chris diamond"),
])
async def test_actor(client: httpx.AsyncClient, query: str, name: str) -> None:
    assert await get(client, f"/v1/actor?{query}") == {"name": name}


@pytest.mark.parametrize("query", ["platform=hulu&year=2019", "platform=amazon&year=2020"])
async def test_actor_none(client: httpx.AsyncClient, query: str) -> None:
    await get(client, f"/v1/actor?{query}", 404)


@pytest.mark.parametrize(("kind", "country", "year", "key", "count"), [
    ("pelicula", "argentina", 2018, "movie", 5),  # ns5, as2, as3, as8, ds3
    ("serie", "argentina", 2018, "series", 2),  # ns8, hs5
    ("documental", "argentina", 2018, "documentary", 5),  # ns5, ns8, hs5, as3, ds3
    ("movie", "argentina", 2020, "movie", 2),
    ("tv show", "argentina", 2020, "series", 0),
    ("pelicula", "united states", 2020, "movie", 4),  # ns3, hs7, ds7, ds8
    ("serie", "united states", 2020, "series", 1),  # ds5
    ("documentary", "united states", 2020, "documentary", 1),  # ds5 docuseries
    ("series", "united states", 2021, "series", 3),  # ns4, ds4, hs9
    ("documental", "united kingdom", 2018, "documentary", 1),  # as4
    ("pelicula", "united kingdom", 2018, "movie", 0),
    ("pelicula", "uruguay", 2018, "movie", 1),
    ("pelicula", "canada", 2020, "movie", 3),  # hs7, hs8, ds6
    ("pelicula", "France", 2018, "movie", 2),
    ("serie", "japan", 2019, "series", 1),
])
async def test_country_production(
    client: httpx.AsyncClient, kind: str, country: str, year: int, key: str, count: int
) -> None:
    body = await get(client, "/v1/country-production", params={"kind": kind, "country": country,
                                                               "year": year})
    assert body == {"kind": key, "country": country.lower(), "year": year, "count": count}


async def test_country_production_unknown_country(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/country-production?kind=movie&country=chile&year=2018", 404)
    assert "chile" in body["detail"]


@pytest.mark.parametrize(("rating", "count"), [
    ("tv-ma", 5), ("g", 7), ("pg-13", 2), ("tv-14", 3), ("tv-pg", 3), ("16+", 2), ("all", 1),
    ("18+", 1), ("13+", 1), ("r", 1), ("pg", 2), ("tv-g", 1), ("tv-y7", 1),
])
async def test_contents(client: httpx.AsyncClient, rating: str, count: int) -> None:
    assert await get(client, "/v1/contents", params={"rating": rating}) == {"count": count}


async def test_contents_unknown_rating(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/contents?rating=nc-17", 404)
    assert body["accepted"] == ["13+", "16+", "18+", "all", "g", "pg", "pg-13", "r", "tv-14",
                                "tv-g", "tv-ma", "tv-pg", "tv-y7"]


async def test_title_record(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/titles/hs2")
    assert body["title"] == "silent streets"
    assert (body["duration_int"], body["duration_type"], body["rating"]) == (74, "min", "g")
    assert body["date_added"] == "2021-10-23"
    assert (await get(client, "/v1/titles/ds3"))["score"] == 83
    await get(client, "/v1/titles/ns7", 404)  # quarantined


async def test_search(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/titles/search", params={"q": "The Long Nite", "limit": 3})
    titles = [hit["title"] for hit in body["results"]]
    assert titles[0] == "the long night"
    assert "another long night" in titles
    assert "quiet town" not in titles  # a tv show
