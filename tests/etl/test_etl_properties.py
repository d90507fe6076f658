"""Properties of the ETL's transformations on arbitrary input (hypothesis): every row is either
transformed or quarantined with a reason, and nothing crashes."""

import csv
import datetime as dt
from pathlib import Path

import polars as pl
from contracts.domain import Platform
from contracts.schema import RAW_CATALOG_REQUIRED
from etl_job.catalog_reader import read_platform_file
from etl_job.pipeline import clean_platform
from etl_job.ratings import REASONS, load_ratings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HEADER = [*RAW_CATALOG_REQUIRED, "score"]
# Any text a CSV can carry (no lone surrogates: they cannot be written as UTF-8).
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December", "Smarch"]
DATES = st.one_of(ANY_TEXT, st.builds(lambda m, d, y, pad: f"{pad}{m} {d}, {y}",
                                      st.sampled_from(MONTHS), st.integers(-1, 40),
                                      st.integers(0, 99999), st.sampled_from(["", " ", "  "])))
DURATIONS = st.one_of(ANY_TEXT, st.builds(lambda n, unit: f"{n} {unit}", st.integers(-5, 10**12),
                                          st.sampled_from(["min", "Season", "Seasons", "mins",
                                                           "hours"])))
FIELDS = {
    "show_id": st.one_of(ANY_TEXT, st.builds(lambda n: f"s{n}", st.integers(0, 40))),
    "type": st.one_of(ANY_TEXT, st.sampled_from(["Movie", "TV Show", "movie", " MOVIE "])),
    "title": ANY_TEXT,
    "date_added": DATES,
    "release_year": st.one_of(ANY_TEXT, st.integers(-10, 10**6).map(str)),
    "rating": st.one_of(ANY_TEXT, DURATIONS, st.sampled_from(["TV-MA", "PG-13", "13+", ""])),
    "duration": DURATIONS,
    "score": st.one_of(ANY_TEXT, st.integers(-50, 500).map(str)),
}
ROW = st.fixed_dictionaries({name: FIELDS.get(name, ANY_TEXT) for name in HEADER})
# Few examples: each runs the real Polars transformations (about 0.2 s on a loaded machine).
PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@PROPERTY
@given(rows=st.lists(ROW, max_size=12))
def test_every_catalog_row_is_transformed_or_quarantined_with_a_reason(rows, tmp_path: Path):
    path = tmp_path / Platform.netflix.source_file
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([row[name] for name in HEADER] for row in rows)
    raw = read_platform_file(path, Platform.netflix)
    clean = clean_platform(raw)
    # Conservation: each written row is a catalog row or a quarantined one, never lost.
    assert clean.frame.height + clean.quarantine.height + raw.blank_lines == len(rows)
    reasons = clean.quarantine["reason"].to_list()
    assert all(reason and reason.split(":")[0].strip() for reason in reasons)
    frame = clean.frame
    assert frame["id"].is_unique().all()
    assert (frame["title"].str.len_chars() > 0).all()  # no empty title (vacuous when no rows)
    assert set(frame["type"].unique().to_list()) <= {"movie", "tv show"}
    assert frame.schema["date_added"] == pl.Date
    assert all(isinstance(day, dt.date) for day in frame["date_added"].drop_nulls())
    assert (frame["duration_int"].drop_nulls() >= 0).all()
    assert set(frame["duration_type"].drop_nulls().unique().to_list()) <= {"min", "season"}
    assert frame["score"].drop_nulls().is_between(0, 100).all()


RATING_FIELD = st.one_of(ANY_TEXT.filter(lambda text: "," not in text and "\n" not in text
                                         and "\r" not in text and '"' not in text),
                         st.integers(-5, 2**40).map(str),
                         st.sampled_from(["0.5", "4.0", "5", "5.5", "3.25", "nan", "inf", ""]))


@PROPERTY
@given(rows=st.lists(st.lists(RATING_FIELD, min_size=1, max_size=6), max_size=40))
def test_every_rating_row_is_kept_or_refused_with_a_reason(rows, tmp_path: Path):
    folder = tmp_path / "ratings"
    folder.mkdir(exist_ok=True)
    path = folder / "1.csv"
    lines = ["userId,rating,timestamp,movieId", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    catalog_ids = pl.Series("id", ["ns1", "ns2", "hs7"])
    # The ETL's own entry point: the typed fast path, falling back to the checked one.
    loaded = load_ratings([path], catalog_ids, tmp_path / "ratings.parquet")
    kept, refused = loaded.valid.collect(), loaded.refused
    assert loaded.kept == kept.height
    # Every line is kept or refused; a blank line (a row of one empty field) may be skipped
    # by the scanner or refused as empty_row, never kept.
    blank = sum(1 for row in rows if row == [""])
    assert len(rows) - blank <= kept.height + refused.height <= len(rows)
    assert set(refused["reason"].to_list()) <= set(REASONS)
    assert kept["rating"].is_between(0.5, 5).all()
    assert ((kept["rating"] * 2) % 1 == 0).all()
    assert set(kept["movie_id"].cast(pl.String).to_list()) <= set(catalog_ids.to_list())
