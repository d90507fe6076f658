"""The real dataset through the ETL, checked against plain-`csv` computations over the raw files."""

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from contracts.schema import CATALOG_FILE, MANIFEST_FILE, RATINGS_FILE
from testkit.raw_csv import FILES, RawTitle, clean, read_ratings, read_records


@pytest.fixture(scope="module")
def raw(real_data_dir: Path) -> dict[str, dict[str, Any]]:
    """Every raw row by catalog id, read with the csv module only."""
    return read_records(real_data_dir)


@pytest.fixture(scope="module")
def cleaned(raw: dict[str, dict[str, Any]]) -> dict[str, RawTitle]:
    """Every raw row with the cleaning rules applied by hand (testkit.raw_csv)."""
    return {title_id: clean(title_id, record) for title_id, record in raw.items()}


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


def test_the_295_durations_in_the_rating_column_are_moved(cleaned: dict, catalog: dict,
                                                          manifest: dict) -> None:
    misplaced = [t for t in cleaned.values() if t.duration_moved]
    assert len(misplaced) == 295
    fix = manifest["fixes"]["duration_moved_from_rating"]
    assert fix["total"] == len(misplaced)
    assert fix["by_platform"] == {
        platform: sum(1 for t in misplaced if t.platform == platform) for platform in FILES}
    assert fix["by_platform"]["hulu"] == 292
    for title in misplaced:
        row = catalog[title.id]
        assert (row["rating"], row["duration_int"], row["duration_type"]) == (
            "g", title.duration, title.duration_type), title.id


def expected_row(title: RawTitle) -> dict[str, Any]:
    """What the cleaning rules say a raw row becomes, computed without the ETL's code."""
    return {
        "title": title.title,
        "type": title.type,
        "release_year": title.year,
        "rating": title.rating,
        "date_added": title.date_added,
        "duration_int": title.duration,
        "duration_type": title.duration_type,
        "score": title.score,
        "cast": ", ".join(title.cast) or None,
        "country": ", ".join(title.countries) or None,
    }


def test_every_row_matches_the_rules_computed_independently(cleaned: dict,
                                                            catalog: dict) -> None:
    mismatches = []
    for title_id, title in cleaned.items():
        expected = expected_row(title)
        actual = {key: catalog[title_id][key] for key in expected}
        if actual != expected:
            mismatches.append((title_id, expected, actual))
    assert mismatches == []


def test_null_ratings_and_dates_are_counted(raw: dict, cleaned: dict, manifest: dict) -> None:
    empty_rating = sum(1 for i, r in raw.items()
                       if not r["rating"].strip() and not cleaned[i].duration_moved)
    assert manifest["fixes"]["null_rating_to_g"]["total"] == empty_rating
    assert manifest["fixes"]["date_missing"]["total"] == sum(
        1 for r in raw.values() if not r["date_added"].strip())
    assert manifest["fixes"]["date_unparseable"]["total"] == 0
    assert manifest["rejections"]["catalog"]["total"] == 0


def test_rating_counts_and_averages_match_the_ratings_files(real_data_dir: Path, catalog: dict,
                                                            real_catalog_dir: Path) -> None:
    sums: dict[str, list[float]] = defaultdict(list)
    for _, movie_id, stars in read_ratings(real_data_dir):
        sums[movie_id].append(stars)
    assert sum(len(v) for v in sums.values()) == 27251
    assert pl.read_parquet(real_catalog_dir / RATINGS_FILE).height == 27251
    for title_id, row in catalog.items():
        values = sums.get(title_id, [])
        assert row["rating_count"] == len(values), title_id
        if values:
            assert row["avg_rating"] == pytest.approx(sum(values) / len(values)), title_id
        else:
            assert row["avg_rating"] is None, title_id


def _spelled_list(text: str) -> str | None:
    names = [name.strip() for name in text.split(",")]
    return ", ".join(name for name in names if name) or None


def test_display_columns_keep_every_platform_spelling(raw: dict, catalog: dict) -> None:
    for title_id, record in raw.items():
        row = catalog[title_id]
        assert row["display_title"] == record["title"].strip(), title_id
        assert row["display_description"] == (record["description"].strip() or None), title_id
        assert row["display_listed_in"] == _spelled_list(record["listed_in"]), title_id
        cast = ", ".join(name for name in (_spelled_list(record["cast"]) or "").split(", ")
                         if any(ch.isalpha() for ch in name))
        assert row["display_cast"] == (cast or None), title_id
        # The lowercase columns the queries use are the same text, folded.
        assert row["title"] == row["display_title"].lower(), title_id
    shown = {row["display_title"] for row in catalog.values()}
    assert {"The Lord of the Rings: The Return of the King", "WandaVision"} <= shown
