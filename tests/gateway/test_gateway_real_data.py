"""The six public queries over the real catalog service on the real data, checked against plain
Python over the raw CSVs (never the project's own code path)."""

from collections import Counter
from pathlib import Path

import pytest
from testkit.raw_csv import FILES, read_titles
from testkit.raw_csv import RawTitle as Row


@pytest.fixture(scope="module")
def rows(real_data_dir: Path) -> list[Row]:
    return read_titles(real_data_dir)


def movies(rows: list[Row], platform: str | None = None) -> list[Row]:
    return [r for r in rows if r.type == "movie" and platform in (None, r.platform)]


def expected_max_duration(rows: list[Row], year: int | None, platform: str | None,
                          unit: str | None) -> str:
    candidates = [r for r in movies(rows, platform) if r.duration is not None
                  and year in (None, r.year) and unit in (None, r.duration_type)]
    return min(candidates, key=lambda r: (-(r.duration or 0), r.title)).title


def expected_actor(rows: list[Row], platform: str, year: int) -> str:
    names = Counter(name for r in rows if r.platform == platform and r.year == year
                    for name in r.cast)
    return min(names.items(), key=lambda item: (-item[1], item[0]))[0]


def expected_production(rows: list[Row], kind: str, country: str, year: int) -> int:
    def is_kind(r: Row) -> bool:
        if kind == "pelicula":
            return r.type == "movie"
        if kind == "serie":
            return r.type == "tv show"
        return r.is_documentary

    return sum(1 for r in rows if r.year == year and country in r.countries and is_kind(r))


@pytest.fixture(scope="module")
async def client(gateway, catalog_real, dead_url):
    async with gateway(catalog=catalog_real, recsys=dead_url) as client:
        yield client


def test_the_hand_reading_agrees_with_the_dataset_readme(rows):
    # Guards the oracle itself: the counts the data README publishes.
    assert len(rows) == 22998
    assert Counter(r.platform for r in movies(rows)) == {
        "amazon": 7814, "disney": 1052, "hulu": 1484, "netflix": 6131}
    assert sum(1 for r in rows if r.duration is None) == 187


async def test_real_misses_are_404_sentences(client, rows):
    # No netflix movie is measured in seasons, and no hulu title lists a cast.
    assert not [r for r in movies(rows, "netflix") if r.duration_type == "season"]
    assert not [r for r in rows if r.platform == "hulu" and r.cast]
    season = await client.get("/get_max_duration", params={"platform": "netflix",
                                                            "duration_type": "season"})
    actor = await client.get("/get_actor", params={"platform": "hulu", "year": 2020})
    for response in (season, actor):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert response.json()["detail"].endswith(".")
    assert "hulu" in actor.json()["detail"]


@pytest.mark.parametrize(("year", "platform", "unit"), [
    (2018, "netflix", "min"), (2015, "amazon", "min"), (2020, "disney", None),
    (2019, "hulu", "min"), (None, "hulu", "season"), (2010, None, None), (None, None, "min"),
])
async def test_max_duration(client, rows, year, platform, unit):
    params = {"year": year, "platform": platform, "duration_type": unit}
    response = await client.get("/get_max_duration",
                                params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.text
    assert response.json() == expected_max_duration(rows, year, platform, unit)


@pytest.mark.parametrize(("platform", "scored", "year"), [
    ("netflix", 85, 2019), ("amazon", 50, 2018), ("disney", 90, 2020), ("hulu", 0, 2017),
    ("netflix", 100, 2020),
])
async def test_score_count(client, rows, platform, scored, year):
    response = await client.get("/get_score_count",
                                params={"platform": platform, "scored": scored, "year": year})
    expected = sum(1 for r in movies(rows, platform)
                   if r.year == year and r.score is not None and r.score > scored)
    assert (response.status_code, response.json()) == (200, expected)


@pytest.mark.parametrize("platform", list(FILES))
async def test_count_platform(client, rows, platform):
    response = await client.get("/get_count_platform", params={"platform": platform.upper()})
    assert (response.status_code, response.json()) == (200, len(movies(rows, platform)))


@pytest.mark.parametrize(("platform", "year"), [
    ("netflix", 2018), ("amazon", 2019), ("amazon", 2021), ("disney", 2019), ("netflix", 2021),
])
async def test_actor(client, rows, platform, year):
    response = await client.get("/get_actor", params={"platform": platform, "year": year})
    assert (response.status_code, response.json()) == (200, expected_actor(rows, platform, year))


@pytest.mark.parametrize(("kind", "country", "year"), [
    ("pelicula", "argentina", 2018), ("serie", "united states", 2019),
    ("documental", "india", 2017), ("pelicula", "france", 2005), ("serie", "japan", 2020),
])
async def test_prod_per_county(client, rows, kind, country, year):
    response = await client.get("/prod_per_county",
                                params={"tipo": kind, "pais": country.title(), "anio": year})
    assert response.status_code == 200, response.text
    assert response.json() == {"pais": country, "anio": year,
                               kind: expected_production(rows, kind, country, year)}


@pytest.mark.parametrize("rating", ["tv-ma", "pg-13", "13+", "g", "r", "all", "ages_16_"])
async def test_contents(client, rows, rating):
    response = await client.get("/get_contents", params={"rating": rating.upper()})
    expected = sum(1 for r in rows if r.rating == rating)
    assert (response.status_code, response.json()) == (200, expected)
