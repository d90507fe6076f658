"""Each catalog transformation on a small hand-written frame."""

import datetime as dt

import polars as pl
import pytest
from contracts.schema import CATALOG_COLUMNS
from etl_job import transform

COLUMNS = ("show_id", "type", "title", "director", "cast", "country", "date_added",
           "release_year", "rating", "duration", "listed_in", "description")


def raw_frame(*rows: dict[str, str | None], platform: str = "netflix",
              score: bool = True) -> pl.DataFrame:
    """Rows as the reader produces them: every source column a string, plus the meta columns."""
    columns = [*COLUMNS, "score"] if score else list(COLUMNS)
    data = {name: [row.get(name) for row in rows] for name in columns}
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)).with_columns(
        pl.lit(platform).alias("platform"),
        pl.lit(f"{platform}_titles.csv").alias("source_file"),
        pl.Series("line", range(2, 2 + len(rows)), dtype=pl.Int64),
        pl.lit("raw").alias("raw"),
    )


def test_trim_whitespace_strips_cells_and_list_items_and_counts_changed_cells() -> None:
    frame = raw_frame(
        {"title": "  Padded  ", "cast": " Ann Lee ,  Bo Kim,", "date_added": "  May 1, 2020",
         "description": "clean"},
        {"title": "Clean", "cast": "Ann Lee, Bo Kim", "rating": "   ", "description": ""},
    )
    fixed, changed = transform.trim_whitespace(frame)
    assert fixed["title"].to_list() == ["Padded", "Clean"]
    assert fixed["cast"].to_list() == ["Ann Lee, Bo Kim", "Ann Lee, Bo Kim"]
    assert fixed["date_added"].to_list() == ["May 1, 2020", None]
    # a blank cell becomes null; an empty one was already "nothing" and is not counted
    assert fixed["rating"].to_list() == [None, None]
    assert fixed["description"].to_list() == ["clean", None]
    assert changed == 4  # title, cast and date of row 1, rating of row 2


def test_drop_names_without_letters_removes_only_letterless_people_and_counts() -> None:
    frame = pl.DataFrame({
        "director": ["ann lee, 2", None, "3"],
        "cast": ["1, tom hanks, r2-d2", "1", "émile, 42"],
        "country": ["1, france", None, None],
    })
    fixed, removed = transform.drop_names_without_letters(frame)
    assert fixed["director"].to_list() == ["ann lee", None, None]
    assert fixed["cast"].to_list() == ["tom hanks, r2-d2", None, "émile"]
    assert fixed["country"].to_list() == ["1, france", None, None]  # not a people column
    assert removed == 5


def test_lowercase_text_lowercases_every_text_field_including_titles() -> None:
    frame = raw_frame({"type": "TV Show", "title": "The BIG One", "cast": "Ann LEE",
                       "rating": "TV-MA", "listed_in": "Docuseries", "description": "Hi There"})
    lowered = transform.lowercase_text(frame).row(0, named=True)
    assert (lowered["type"], lowered["title"], lowered["cast"]) == (
        "tv show", "the big one", "ann lee")
    assert (lowered["rating"], lowered["listed_in"], lowered["description"]) == (
        "tv-ma", "docuseries", "hi there")


def test_reject_invalid_rows_names_the_reason_and_keeps_the_rest() -> None:
    frame = raw_frame(
        {"show_id": "s1", "type": "movie", "title": "ok", "release_year": "2020"},
        {"show_id": None, "type": "movie", "title": "no id", "release_year": "2020"},
        {"show_id": "s3", "type": "movie", "title": None, "release_year": "2020"},
        {"show_id": "s4", "type": None, "title": "no type", "release_year": "2020"},
        {"show_id": "s5", "type": "podcast", "title": "odd type", "release_year": "2020"},
        {"show_id": "s6", "type": "tv show", "title": "odd year", "release_year": "20x0"},
        {"show_id": "s7", "type": "tv show", "title": "no year", "release_year": None},
    )
    kept, refused = transform.reject_invalid_rows(frame)
    assert kept["show_id"].to_list() == ["s1"]
    assert kept.schema["release_year"] == pl.Int32
    assert refused.columns == ["source_file", "line", "reason", "raw"]
    assert refused["line"].to_list() == [3, 4, 5, 6, 7, 8]
    assert refused["reason"].to_list() == [
        "missing_show_id: show_id is empty",
        "missing_title: title is empty",
        "missing_type: type is empty",
        "bad_type: type 'podcast' is not movie or tv show",
        "bad_release_year: release_year '20x0' is not an integer",
        "bad_release_year: release_year '' is not an integer",
    ]


@pytest.mark.parametrize(("platform", "show_id", "expected"), [
    ("amazon", "s123", "as123"), ("disney", "s1", "ds1"), ("hulu", "s7", "hs7"),
    ("netflix", "s42", "ns42"),
])
def test_add_ids_is_platform_letter_plus_show_id(platform: str, show_id: str,
                                                 expected: str) -> None:
    frame = raw_frame({"show_id": show_id}, platform=platform)
    assert transform.add_ids(frame)["id"].to_list() == [expected]


def test_drop_duplicate_ids_keeps_the_first_in_file_order() -> None:
    frame = transform.add_ids(raw_frame(
        {"show_id": "s1", "title": "first"}, {"show_id": "s2", "title": "other"},
        {"show_id": "s1", "title": "second"}, {"show_id": "s1", "title": "third"},
    ))
    kept, refused = transform.drop_duplicate_ids(frame)
    assert kept["title"].to_list() == ["first", "other"]
    assert refused["line"].to_list() == [4, 5]
    assert refused["reason"].to_list() == ["duplicate_id: id ns1 already came at line 2"] * 2


def test_move_duration_from_rating_only_when_duration_is_empty() -> None:
    frame = raw_frame(
        {"rating": "74 min", "duration": None},
        {"rating": "2 seasons", "duration": None},
        {"rating": "1 season", "duration": None},
        {"rating": "tv-ma", "duration": "90 min"},
        {"rating": "95 min", "duration": "95 min"},  # duplicated, not moved: emptied
        {"rating": None, "duration": None},
    )
    fixed, moved = transform.move_duration_from_rating(frame)
    assert moved == 3
    assert fixed["duration"].to_list() == [
        "74 min", "2 seasons", "1 season", "90 min", "95 min", None]
    assert fixed["rating"].to_list() == ["g", "g", "g", "tv-ma", None, None]


def test_fill_missing_rating_sets_g_and_counts() -> None:
    fixed, filled = transform.fill_missing_rating(raw_frame({"rating": None}, {"rating": "r"},
                                                            {"rating": None}))
    assert fixed["rating"].to_list() == ["g", "r", "g"]
    assert filled == 2


def test_parse_dates_counts_unparseable_and_missing_separately() -> None:
    frame = raw_frame(
        {"date_added": "september 25, 2021"}, {"date_added": "August 4,  2021"},
        {"date_added": "not a date"}, {"date_added": "February 30, 2021"}, {"date_added": None},
    )
    fixed, unparseable, missing = transform.parse_dates(frame)
    assert fixed.schema["date_added"] == pl.Date
    assert fixed["date_added"].to_list() == [
        dt.date(2021, 9, 25), dt.date(2021, 8, 4), None, None, None]
    assert (unparseable, missing) == (2, 1)


def test_split_duration_folds_seasons_to_season() -> None:
    frame = raw_frame({"duration": "90 min"}, {"duration": "1 season"}, {"duration": "3 seasons"},
                      {"duration": None}, {"duration": "forever"})
    fixed, unparseable = transform.split_duration(frame)
    assert "duration" not in fixed.columns
    assert fixed.schema["duration_int"] == pl.Int32
    assert fixed["duration_int"].to_list() == [90, 1, 3, None, None]
    assert fixed["duration_type"].to_list() == ["min", "season", "season", None, None]
    assert unparseable == 1


def test_parse_score_keeps_integers_0_to_100_and_counts_the_rest() -> None:
    frame = raw_frame({"score": "0"}, {"score": "100"}, {"score": "57"}, {"score": "101"},
                      {"score": "-1"}, {"score": "7.5"}, {"score": "abc"}, {"score": None})
    fixed, invalid = transform.parse_score(frame)
    assert fixed["score"].to_list() == [0, 100, 57, None, None, None, None, None]
    assert fixed.schema["score"] == pl.Int32
    assert set(fixed["score_source"].to_list()) == {"file"}
    assert invalid == 4  # an empty score is missing, not invalid


def test_parse_score_without_a_score_column_leaves_it_to_the_ratings() -> None:
    fixed, invalid = transform.parse_score(raw_frame({"title": "x"}, score=False))
    assert fixed["score"].to_list() == [None]
    assert fixed["score_source"].to_list() == ["ratings"]
    assert invalid == 0


def test_join_rating_stats_fills_count_zero_and_leaves_average_null() -> None:
    frame = pl.DataFrame({"id": ["ds1", "ds2", "ds3"]})
    stats = pl.DataFrame({"movie_id": ["ds3", "ds1", "zz9"], "rating_count": [2, 1, 5],
                          "avg_rating": [4.25, 3.0, 1.0]})
    joined = transform.join_rating_stats(frame, stats)
    assert joined["id"].to_list() == ["ds1", "ds2", "ds3"]
    assert joined["rating_count"].to_list() == [1, 0, 2]
    assert joined["avg_rating"].to_list() == [3.0, None, 4.25]
    assert joined.schema["rating_count"] == pl.Int32


def test_derive_score_is_mean_rating_times_20_rounded_half_away_from_zero() -> None:
    frame = pl.DataFrame({
        "score": pl.Series([None, None, None, None, 42], dtype=pl.Int32),
        "score_source": ["ratings", "ratings", "ratings", "ratings", "file"],
        "avg_rating": [4.5, 25 / 6, 4.125, None, 1.0],
    })
    fixed, derived = transform.derive_score(frame)
    # 4.5 -> 90; 4.1667 -> 83.3 -> 83; 4.125 -> 82.5 -> 83; no ratings -> null; file score kept
    assert fixed["score"].to_list() == [90, 83, 83, None, 42]
    assert derived == 3


def test_to_catalog_schema_is_exactly_the_contract() -> None:
    row = {"id": "ns1", "platform": "netflix", "show_id": "s1", "type": "movie", "title": "t",
           "director": None, "cast": None, "country": None, "date_added": dt.date(2021, 1, 1),
           "release_year": 2020, "rating": "g", "age_band": "kids", "duration_int": 90,
           "duration_type": "min",
           "listed_in": "dramas", "description": "d", "score": 50, "score_source": "file",
           "rating_count": 0, "avg_rating": None, "line": 2, "raw": "x",
           "display_title": "T", "display_director": None, "display_cast": None,
           "display_listed_in": "Dramas", "display_description": "D"}
    shaped = transform.to_catalog_schema(pl.DataFrame([row]))
    assert shaped.columns == list(CATALOG_COLUMNS)
    expected = {"str": pl.String, "int32": pl.Int32, "date": pl.Date, "float64": pl.Float64}
    assert {name: shaped.schema[name] for name in shaped.columns} == {
        name: expected[kind] for name, kind in CATALOG_COLUMNS.items()}


def test_placeholder_rule_flags_test_entries_and_no_real_film() -> None:
    rows = [
        ("title before 1c onboarding - 5", "title before 1c onboarding - 5", True),
        ("clip: act 4 - title after removing 1c - 2", "1", True),
        ("act 2 - series 6", "1", True),
        ("testing title - parichey is using this title", "test movie for upload", True),
        ("indian title", "this is the synopsis for my indian title. it describes what", True),
        ("x-ray 1c test title", "test season", True),
        # Near misses: real films whose title or description only looks alike.
        ("untitled horror movie", "a comedy about making a horror movie", False),
        ("act of valor", "an elite team of navy seals", False),
        ("the testament of sister new devil", "basara tojo is a high school student", False),
        ("maria bamford: the special special special",
         "maria bamford: the special special special", False),
        ("title", None, False),
    ]
    frame = pl.DataFrame({"title": [r[0] for r in rows], "description": [r[1] for r in rows]},
                         schema={"title": pl.String, "description": pl.String})
    assert frame.select(transform.is_placeholder()).to_series().to_list() == [r[2] for r in rows]
    assert transform.count_placeholders(frame) == 6
