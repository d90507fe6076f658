"""The hand-written sample end to end: catalog, ratings, quarantine and manifest, by hand."""

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from contracts.schema import (
    CATALOG_COLUMNS,
    CATALOG_FILE,
    DISPLAY_COLUMNS,
    MANIFEST_FILE,
    QUARANTINE_FILE,
    RATINGS_COLUMNS,
    RATINGS_FILE,
    SCHEMA_VERSION,
    SERIES_FILE,
)
from etl_job import pipeline
from etl_job.errors import RequiredColumnMissing

DTYPES = {"str": pl.String, "int32": pl.Int32, "int64": pl.Int64, "date": pl.Date,
          "float32": pl.Float32, "float64": pl.Float64}


@pytest.fixture(scope="module")
def catalog(sample_catalog_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(sample_catalog_dir / CATALOG_FILE)


@pytest.fixture(scope="module")
def manifest(sample_catalog_dir: Path) -> dict[str, Any]:
    return json.loads((sample_catalog_dir / MANIFEST_FILE).read_text())


def row(catalog: pl.DataFrame, title_id: str) -> dict[str, Any]:
    return catalog.filter(pl.col("id") == title_id).row(0, named=True)


def test_catalog_has_exactly_the_contract_columns_and_types(catalog: pl.DataFrame) -> None:
    assert catalog.columns == list(CATALOG_COLUMNS)
    assert dict(catalog.schema) == {name: DTYPES[kind] for name, kind in CATALOG_COLUMNS.items()}


def test_ratings_parquet_has_the_contract_layout_and_the_13_valid_ratings(
        sample_catalog_dir: Path) -> None:
    ratings = pl.read_parquet(sample_catalog_dir / RATINGS_FILE)
    assert dict(ratings.schema) == {name: DTYPES[kind] for name, kind in RATINGS_COLUMNS.items()}
    assert ratings.height == 13
    assert sorted(set(ratings["user_id"].to_list())) == [1, 2, 3, 4]


def test_ids_are_every_kept_row_and_no_quarantined_one(catalog: pl.DataFrame) -> None:
    expected = {f"as{n}" for n in (1, 2, 3, 4, 7, 8, 9)} | {f"ds{n}" for n in range(1, 9)} | {
        f"hs{n}" for n in (1, 2, 3, 4, 5, 7, 8, 9)} | {f"ns{n}" for n in (1, 2, 3, 4, 5, 6, 8)}
    assert set(catalog["id"].to_list()) == expected
    assert catalog["id"].is_unique().all()
    assert row(catalog, "ns2")["title"] == "another long night"  # the first s2, not the duplicate


def test_every_text_field_is_lowercase(catalog: pl.DataFrame) -> None:
    kept_as_written = set(DISPLAY_COLUMNS.values())
    text = [name for name, kind in CATALOG_COLUMNS.items()
            if kind == "str" and name not in kept_as_written]
    for name in text:
        values = [v for v in catalog[name].to_list() if v is not None]
        assert values == [v.lower() for v in values], name
    assert set(catalog["type"].to_list()) == {"movie", "tv show"}


def test_display_columns_keep_the_platform_spelling_trimmed(catalog: pl.DataFrame) -> None:
    first = row(catalog, "ns1")
    assert {name: first[display] for name, display in DISPLAY_COLUMNS.items()} == {
        "title": "The Long Night", "director": "Ana Ruiz, Bo Chen",
        "cast": "Tom Hardy, Lucia Perez", "listed_in": "Dramas, International Movies",
        "description": "A long night in Buenos Aires."}
    # Trimmed like the lowercase column it sits beside, and equal to it once lowercased.
    assert row(catalog, "ns2")["display_cast"] == "Lucia Perez, Tom Hardy"
    for name, display in DISPLAY_COLUMNS.items():
        pairs = catalog.select(name, display).drop_nulls(name).rows()
        assert [shown.lower() for _, shown in pairs] == [low for low, _ in pairs], name


def test_duration_in_rating_is_moved_and_rating_becomes_g(catalog: pl.DataFrame) -> None:
    assert {k: row(catalog, "hs2")[k] for k in ("rating", "duration_int", "duration_type")} == {
        "rating": "g", "duration_int": 74, "duration_type": "min"}
    assert {k: row(catalog, "hs3")[k] for k in ("rating", "duration_int", "duration_type")} == {
        "rating": "g", "duration_int": 2, "duration_type": "season"}


def test_durations_seasons_fold_and_missing_stays_null(catalog: pl.DataFrame) -> None:
    def split(title_id: str) -> tuple[int | None, str | None]:
        found = row(catalog, title_id)
        return found["duration_int"], found["duration_type"]

    assert split("ns4") == (3, "season")
    assert split("ns6") == (1, "season")
    assert split("hs1") == (None, None)
    assert set(catalog["duration_type"].drop_nulls().to_list()) == {"min", "season"}


def test_null_rating_becomes_g(catalog: pl.DataFrame) -> None:
    assert [row(catalog, i)["rating"] for i in ("as1", "hs4", "ds6")] == ["g", "g", "g"]
    assert catalog["rating"].null_count() == 0


def test_dates_trimmed_parsed_or_null(catalog: pl.DataFrame) -> None:
    assert row(catalog, "ns1")["date_added"] == dt.date(2021, 9, 25)
    assert row(catalog, "ns2")["date_added"] == dt.date(2021, 8, 4)  # had leading spaces
    assert row(catalog, "hs7")["date_added"] == dt.date(2021, 1, 5)
    assert row(catalog, "ns6")["date_added"] is None  # "Not a date"
    assert row(catalog, "ns4")["date_added"] is None  # empty


def test_lists_are_trimmed_item_by_item(catalog: pl.DataFrame) -> None:
    assert row(catalog, "ns2")["cast"] == "lucia perez, tom hardy"
    assert row(catalog, "ns1")["director"] == "ana ruiz, bo chen"
    assert row(catalog, "as3")["cast"] is None


def test_scores_from_file_and_out_of_range_is_null(catalog: pl.DataFrame) -> None:
    assert row(catalog, "as8")["score"] == 85
    assert row(catalog, "as7")["score"] is None  # 101
    assert set(catalog.filter(pl.col("platform") != "disney")["score_source"].to_list()) == {"file"}


def test_disney_score_is_mean_user_rating_times_20(catalog: pl.DataFrame) -> None:
    disney = catalog.filter(pl.col("platform") == "disney").sort("id")
    assert set(disney["score_source"].to_list()) == {"ratings"}
    assert dict(zip(disney["id"], disney["score"], strict=True)) == {
        "ds1": 90, "ds2": 70, "ds3": 83, "ds4": None, "ds5": None, "ds6": None, "ds7": 30,
        "ds8": None}


def test_rating_count_and_average_per_title(catalog: pl.DataFrame) -> None:
    counts = dict(zip(catalog["id"], catalog["rating_count"], strict=True))
    assert {k: v for k, v in counts.items() if v} == {
        "ds1": 2, "ds2": 1, "ds3": 3, "ds7": 2, "ns1": 2, "as2": 1, "as8": 1, "hs2": 1}
    assert row(catalog, "ns1")["avg_rating"] == pytest.approx(4.75)
    assert row(catalog, "ds3")["avg_rating"] == pytest.approx(25 / 6)
    assert row(catalog, "ns2")["avg_rating"] is None


def test_quarantine_lists_every_refused_row_with_its_reason(sample_catalog_dir: Path) -> None:
    quarantine = pl.read_csv(sample_catalog_dir / QUARANTINE_FILE, infer_schema=False)
    assert quarantine.columns == ["source_file", "line", "reason", "raw"]
    found = {(r["source_file"], int(r["line"]), r["reason"].split(":")[0])
             for r in quarantine.to_dicts()}
    assert found == {
        ("netflix_titles.csv", 8, "wrong_field_count"),
        ("netflix_titles.csv", 9, "duplicate_id"),
        ("hulu_titles.csv", 7, "missing_title"),
        ("amazon_prime_titles.csv", 6, "bad_type"),
        ("amazon_prime_titles.csv", 7, "bad_release_year"),
        ("ratings/1.csv", 11, "rating_not_half_star"),
        ("ratings/1.csv", 12, "bad_rating"),
        ("ratings/1.csv", 15, "missing_user_id"),
        ("ratings/2.csv", 4, "unknown_movie_id"),
        ("ratings/2.csv", 5, "unknown_movie_id"),  # ns7: its catalog row was quarantined
        ("ratings/2.csv", 6, "rating_not_half_star"),
        ("ratings/2.csv", 7, "bad_timestamp"),
    }


def test_manifest_counts_rows_fixes_and_rejections(manifest: dict[str, Any]) -> None:
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["data_version"] == manifest["run_id"]
    assert manifest["rows"]["catalog"] == 30
    assert manifest["rows"]["ratings"] == 13
    assert manifest["rows"]["catalog_by_platform"] == {
        "amazon": {"movie": 5, "tv show": 2, "total": 7},
        "disney": {"movie": 6, "tv show": 2, "total": 8},
        "hulu": {"movie": 5, "tv show": 3, "total": 8},
        "netflix": {"movie": 4, "tv show": 3, "total": 7},
    }
    totals = {name: fix["total"] for name, fix in manifest["fixes"].items()}
    assert totals == {
        "duration_moved_from_rating": 2, "null_rating_to_g": 3, "whitespace_trimmed": 3,
        "date_unparseable": 1, "date_missing": 8, "duration_unparseable": 0,
        "score_invalid": 1, "score_derived_from_ratings": 4, "duplicate_ids": 1,
        "names_without_letters": 0, "placeholder_titles": 0,
    }
    assert manifest["fixes"]["duration_moved_from_rating"]["by_platform"]["hulu"] == 2
    assert manifest["fixes"]["score_derived_from_ratings"]["by_platform"] == {
        "amazon": 0, "disney": 4, "hulu": 0, "netflix": 0}
    assert manifest["rejections"]["catalog"] == {"total": 5, "by_reason": {
        "bad_release_year": 1, "bad_type": 1, "duplicate_id": 1, "missing_title": 1,
        "wrong_field_count": 1}}
    assert manifest["rejections"]["ratings"] == {"total": 7, "by_reason": {
        "rating_not_half_star": 2, "unknown_movie_id": 2, "bad_rating": 1, "bad_timestamp": 1,
        "missing_user_id": 1}}


def test_manifest_says_where_scores_come_from(manifest: dict[str, Any]) -> None:
    assert manifest["score_source"] == {"amazon": "file", "disney": "ratings", "hulu": "file",
                                        "netflix": "file"}
    assert "disney_plus_titles.csv has no score column" in manifest["score_note"]
    assert "mean user rating x 20" in manifest["score_note"]
    assert "4 of 8 disney titles" in manifest["score_note"]


def test_manifest_lists_inputs_with_sizes_and_checksums(
        manifest: dict[str, Any], sample_data_dir: Path, sample_catalog_dir: Path) -> None:
    inputs = {entry["path"]: entry for entry in manifest["inputs"]}
    assert set(inputs) == {"amazon_prime_titles.csv", "disney_plus_titles.csv", "hulu_titles.csv",
                           "netflix_titles.csv", "ratings/1.csv", "ratings/2.csv"}
    for name, entry in inputs.items():
        data = (sample_data_dir / name).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    outputs = {entry["path"]: entry for entry in manifest["outputs"]}
    assert set(outputs) == {CATALOG_FILE, RATINGS_FILE, QUARANTINE_FILE, SERIES_FILE}
    for name, entry in outputs.items():
        assert entry["bytes"] == (sample_catalog_dir / name).stat().st_size
    assert manifest["run_seconds"] > 0


def test_current_points_at_the_returned_run(sample_catalog_dir: Path) -> None:
    assert sample_catalog_dir.parent.name == "runs"
    current = sample_catalog_dir.parent.parent / "current"
    assert current.resolve() == sample_catalog_dir.resolve()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_failing_run_leaves_current_and_its_files_intact(
        sample_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "out"
    first = pipeline.build_catalog(data_dir=sample_data_dir, output_dir=output)
    before = snapshot(output / "current")

    def broken(_: pl.DataFrame) -> pl.DataFrame:
        raise RuntimeError("disk full, say")

    # fails after the catalog and ratings were read, while the run folder holds output
    monkeypatch.setattr(pipeline.transform, "to_catalog_schema", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.build_catalog(data_dir=sample_data_dir, output_dir=output)
    assert (output / "current").resolve() == first.resolve()
    assert snapshot(output / "current") == before
    assert [p.name for p in (output / "runs").iterdir()] == [first.name]


def test_a_missing_column_stops_before_touching_the_output(sample_data_dir: Path,
                                                          tmp_path: Path) -> None:
    output = tmp_path / "out"
    first = pipeline.build_catalog(data_dir=sample_data_dir, output_dir=output)
    broken = tmp_path / "data"
    shutil.copytree(sample_data_dir, broken)
    netflix = broken / "netflix_titles.csv"
    netflix.write_text(netflix.read_text().replace("country,", "", 1))
    with pytest.raises(RequiredColumnMissing, match=r"netflix_titles.csv.*'country'"):
        pipeline.build_catalog(data_dir=broken, output_dir=output)
    assert (output / "current").resolve() == first.resolve()
    assert [p.name for p in (output / "runs").iterdir()] == [first.name]


def test_old_runs_beyond_keep_are_pruned(sample_data_dir: Path, tmp_path: Path) -> None:
    made = [pipeline.build_catalog(data_dir=sample_data_dir, output_dir=tmp_path, keep_runs=2)
            for _ in range(4)]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [made[2].name, made[3].name]
    assert (tmp_path / "current").resolve() == made[3].resolve()
