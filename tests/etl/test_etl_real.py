"""The real dataset through the ETL, checked against plain-`csv` computations over the raw files."""

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from contracts.schema import CATALOG_FILE, MANIFEST_FILE, RATINGS_FILE

FILES = {"amazon": "amazon_prime_titles.csv", "disney": "disney_plus_titles.csv",
         "hulu": "hulu_titles.csv", "netflix": "netflix_titles.csv"}
DURATION = re.compile(r"(\d+) (min|season)s?", re.IGNORECASE)


@pytest.fixture(scope="module")
def raw(real_data_dir: Path) -> dict[str, dict[str, Any]]:
    """Every raw row by catalog id, read with the csv module only."""
    rows = {}
    for platform, name in FILES.items():
        with (real_data_dir / name).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                rows[platform[0] + record["show_id"]] = {**record, "platform": platform}
    return rows


@pytest.fixture(scope="module")
def catalog(real_catalog_dir: Path) -> dict[str, dict[str, Any]]:
    frame = pl.read_parquet(real_catalog_dir / CATALOG_FILE)
    return {r["id"]: r for r in frame.iter_rows(named=True)}


@pytest.fixture(scope="module")
def manifest(real_catalog_dir: Path) -> dict[str, Any]:
    return json.loads((real_catalog_dir / MANIFEST_FILE).read_text())


def test_ids_are_platform_letter_plus_show_id(raw: dict, catalog: dict) -> None:
    assert len(raw) == 22998
    assert set(catalog) == set(raw)


def test_rows_per_platform_and_type(raw: dict, catalog: dict, manifest: dict) -> None:
    expected = Counter((r["platform"], r["type"].strip().lower()) for r in raw.values())
    assert Counter((r["platform"], r["type"]) for r in catalog.values()) == expected
    by_platform = manifest["rows"]["catalog_by_platform"]
    assert {(p, t): n for p, kinds in by_platform.items() for t, n in kinds.items()
            if t != "total"} == dict(expected)
    assert expected[("hulu", "tv show")] == 1589  # the README's table, as a sanity anchor


def misplaced_durations(raw: dict) -> dict[str, str]:
    return {i: r["rating"].strip() for i, r in raw.items()
            if DURATION.fullmatch(r["rating"].strip()) and not r["duration"].strip()}


def test_the_295_durations_in_the_rating_column_are_moved(raw: dict, catalog: dict,
                                                          manifest: dict) -> None:
    misplaced = misplaced_durations(raw)
    assert len(misplaced) == 295
    fix = manifest["fixes"]["duration_moved_from_rating"]
    assert fix["total"] == len(misplaced)
    assert fix["by_platform"] == {
        platform: sum(1 for i in misplaced if raw[i]["platform"] == platform) for platform in FILES}
    assert fix["by_platform"]["hulu"] == 292
    for title_id, text in misplaced.items():
        number, unit = DURATION.fullmatch(text).groups()  # type: ignore[union-attr]
        row = catalog[title_id]
        assert (row["rating"], row["duration_int"], row["duration_type"]) == (
            "g", int(number), unit.lower()), title_id


def as_list(text: str, people: bool = False) -> str | None:
    """A comma-separated list, items trimmed and lowercased, empty ones dropped.

    For people (director, cast), items without any letter ("1") are dropped too.
    """
    items = [p.strip().lower() for p in text.split(",") if p.strip()]
    if people:
        items = [p for p in items if any(ch.isalpha() for ch in p)]
    return ", ".join(items) or None


def expected_row(record: dict[str, str], moved: bool) -> dict[str, Any]:
    """What the issue says a raw row becomes, computed without the ETL's code."""
    rating = record["rating"].strip().lower()
    duration = record["duration"].strip()
    if moved:
        rating, duration = "g", record["rating"].strip()
    match = DURATION.fullmatch(duration)
    text_date = " ".join(record["date_added"].split())
    parsed: date | None = None
    if text_date:
        parsed = datetime.strptime(text_date, "%B %d, %Y").date()
    score = int(record["score"]) if record["score"].strip().isdigit() else None
    return {
        "title": record["title"].strip().lower(),
        "type": record["type"].strip().lower(),
        "release_year": int(record["release_year"]),
        "rating": rating or "g",
        "date_added": parsed,
        "duration_int": int(match.group(1)) if match else None,
        "duration_type": match.group(2).lower() if match else None,
        "score": score if score is not None and 0 <= score <= 100 else None,
        "cast": as_list(record["cast"], people=True),
        "country": as_list(record["country"]),
    }


def test_every_row_matches_the_rules_computed_independently(raw: dict, catalog: dict) -> None:
    misplaced = misplaced_durations(raw)
    mismatches = []
    for title_id, record in raw.items():
        expected = expected_row(record, title_id in misplaced)
        actual = {key: catalog[title_id][key] for key in expected}
        if actual != expected:
            mismatches.append((title_id, expected, actual))
    assert mismatches == []


def test_null_ratings_and_dates_are_counted(raw: dict, manifest: dict) -> None:
    misplaced = misplaced_durations(raw)
    empty_rating = sum(1 for i, r in raw.items() if not r["rating"].strip() and i not in misplaced)
    assert manifest["fixes"]["null_rating_to_g"]["total"] == empty_rating
    assert manifest["fixes"]["date_missing"]["total"] == sum(
        1 for r in raw.values() if not r["date_added"].strip())
    assert manifest["fixes"]["date_unparseable"]["total"] == 0
    assert manifest["rejections"]["catalog"]["total"] == 0


def test_rating_counts_and_averages_match_the_ratings_files(real_data_dir: Path, catalog: dict,
                                                            real_catalog_dir: Path) -> None:
    sums: dict[str, list[float]] = defaultdict(list)
    for path in sorted((real_data_dir / "ratings").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                sums[record["movieId"]].append(float(record["rating"]))
    assert sum(len(v) for v in sums.values()) == 27251
    assert pl.read_parquet(real_catalog_dir / RATINGS_FILE).height == 27251
    for title_id, row in catalog.items():
        values = sums.get(title_id, [])
        assert row["rating_count"] == len(values), title_id
        if values:
            assert row["avg_rating"] == pytest.approx(sum(values) / len(values)), title_id
        else:
            assert row["avg_rating"] is None, title_id
