"""The six public queries over the real catalog service on the real data, checked against plain
Python over the raw CSVs (never the project's own code path)."""

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from testkit.public_answers import (
    contents,
    max_duration,
    movies,
    production,
    score_count,
    top_actor,
)
from testkit.raw_csv import FILES, read_titles
from testkit.raw_csv import RawTitle as Row


@pytest.fixture(scope="module")
def rows(real_data_dir: Path) -> list[Row]:
    return read_titles(real_data_dir)


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
    assert response.json() == max_duration(rows, year, platform, unit)


@pytest.mark.parametrize(("platform", "scored", "year"), [
    ("netflix", 85, 2019), ("amazon", 50, 2018), ("disney", 90, 2020), ("hulu", 0, 2017),
    ("netflix", 100, 2020),
])
async def test_score_count(client, rows, platform, scored, year):
    response = await client.get("/get_score_count",
                                params={"platform": platform, "scored": scored, "year": year})
    expected = score_count(rows, platform, scored, year)
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
    assert (response.status_code, response.json()) == (200, top_actor(rows, platform, year))


@pytest.mark.parametrize(("kind", "country", "year"), [
    ("pelicula", "argentina", 2018), ("serie", "united states", 2019),
    ("documental", "india", 2017), ("pelicula", "france", 2005), ("serie", "japan", 2020),
])
async def test_prod_per_county(client, rows, kind, country, year):
    response = await client.get("/prod_per_county",
                                params={"tipo": kind, "pais": country.title(), "anio": year})
    assert response.status_code == 200, response.text
    assert response.json() == {"pais": country, "anio": year,
                               kind: production(rows, kind, country, year)}


@pytest.mark.parametrize("rating", ["tv-ma", "pg-13", "13+", "g", "r", "all", "ages_16_"])
async def test_contents(client, rows, rating):
    response = await client.get("/get_contents", params={"rating": rating.upper()})
    assert (response.status_code, response.json()) == (200, contents(rows, rating))


def wire(value: object) -> bytes:
    """The bytes the public API has always sent for a value (Starlette's JSONResponse)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode()


async def test_a_few_hundred_random_answers_are_the_oracles_byte_for_byte(client, rows):
    # Whatever encodes the gateway's answers (FastAPI's serialiser before, orjson now), the
    # bytes on the wire stay what they were: compact JSON, UTF-8 text, the oracle's values.
    rng = random.Random(5)
    years = sorted({r.year for r in rows})
    platforms = list(FILES)
    cast_keys = sorted({(r.platform, r.year) for r in rows if r.cast})
    countries = sorted(Counter(c for r in rows for c in r.countries))
    ratings = sorted({r.rating for r in rows})
    calls: list[tuple[str, dict[str, object], object]] = []
    for _ in range(60):
        platform, year = rng.choice(platforms), rng.choice(years)
        scored = rng.randint(0, 100)
        calls.append(("/get_score_count", {"platform": platform, "scored": scored,
                                           "year": year},
                      score_count(rows, platform, scored, year)))
    for platform, year in rng.sample(cast_keys, 60):
        calls.append(("/get_actor", {"platform": platform, "year": year},
                      top_actor(rows, platform, year)))
    for _ in range(60):
        kind = rng.choice(["pelicula", "serie", "documental"])
        country, year = rng.choice(countries), rng.choice(years)
        calls.append(("/prod_per_county", {"tipo": kind, "pais": country, "anio": year},
                      {"pais": country, "anio": year,
                       kind: production(rows, kind, country, year)}))
    for rating in ratings:
        calls.append(("/get_contents", {"rating": rating},
                      contents(rows, rating)))
    for platform in platforms:
        calls.append(("/get_count_platform", {"platform": platform},
                      len(movies(rows, platform))))
    for _ in range(90):
        year = rng.choice(years)
        platform = rng.choice([*platforms, None])
        unit = rng.choice(["min", "season", None])
        candidates = [r for r in movies(rows, platform) if r.duration is not None
                      and r.year == year and unit in (None, r.duration_type)]
        if candidates:
            calls.append(("/get_max_duration", {"year": year, "platform": platform,
                                                "duration_type": unit},
                          max_duration(rows, year, platform, unit)))
    assert len(calls) > 260
    for path, params, expected in calls:
        response = await client.get(path, params={k: v for k, v in params.items()
                                                  if v is not None})
        assert response.status_code == 200, (path, params, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.content == wire(expected), (path, params)


async def test_title_pages_are_compact_utf8_json_with_the_oracles_record(client, rows):
    rng = random.Random(9)
    accented = [r for r in rows if any(ord(ch) > 127 for ch in r.title)]
    for row in [*rng.sample(rows, 40), *accented[:10]]:
        response = await client.get(f"/titles/{row.id}")
        assert response.status_code == 200, response.text
        page = response.json()
        assert response.content == wire(page)
        record = page["title"]
        assert (record["id"], record["platform"], record["type"], record["title"],
                record["release_year"]) == (row.id, row.platform, row.type, row.title, row.year)
        assert list(record)[:5] == ["id", "platform", "type", "title", "show_id"]
        assert page["recommendations"]["available"] is False  # recsys is down here
