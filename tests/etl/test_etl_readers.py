"""Reading the raw files: records split from ragged ones, ratings rows checked with reasons."""

from pathlib import Path

import polars as pl
import pytest
from contracts.domain import Platform
from etl_job import ratings as ratings_mod
from etl_job.catalog_reader import read_platform_file
from etl_job.errors import InputFileMissing, RequiredColumnMissing, UnreadableInput

HEADER = ("show_id,type,title,director,cast,country,date_added,release_year,rating,duration,"
          "listed_in,description,score")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_reader_keeps_well_formed_records_with_their_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "netflix_titles.csv", "\n".join([
        HEADER,
        's1,Movie,One,,,,"May 1, 2020",2020,R,90 min,Dramas,"two\nlines",10',
        "s2,Movie,Two,,,,,2020,R,90 min,Dramas,plain,20",
        "",
        "s3,Movie,Three,,,,,2020,R,90 min",
        "s4,Movie,Four,,,,,2020,R,90 min,Dramas,plain,40",
    ]) + "\n")
    raw = read_platform_file(path, Platform.netflix)
    assert raw.frame["show_id"].to_list() == ["s1", "s2", "s4"]
    # s1 spans lines 2-3, so s2 starts on line 4; the blank line 5 is skipped and counted
    assert raw.frame["line"].to_list() == [2, 4, 7]
    assert raw.frame["description"].to_list() == ["two\nlines", "plain", "plain"]
    assert raw.blank_lines == 1
    assert raw.has_score
    assert set(raw.frame["platform"].to_list()) == {"netflix"}
    assert raw.quarantine.to_dicts() == [{
        "source_file": "netflix_titles.csv", "line": 6,
        "reason": "wrong_field_count: 10 fields, the header has 13",
        "raw": "s3,Movie,Three,,,,,2020,R,90 min"}]


def test_reader_quarantines_a_row_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "hulu_titles.csv",
                 HEADER.encode() + b"\ns1,Movie,Caf\xe9,,,,,2020,R,90 min,Dramas,d,10\n"
                 + b"s2,Movie,Caf\xc3\xa9,,,,,2020,R,90 min,Dramas,d,10\n")
    raw = read_platform_file(path, Platform.hulu)
    assert raw.frame["title"].to_list() == ["Café"]
    assert raw.quarantine["line"].to_list() == [2]
    assert raw.quarantine["reason"].to_list() == [
        "not_utf8: the row has bytes that are not valid UTF-8"]
    assert raw.quarantine["raw"].item().startswith("s1,Movie,Caf\\xe9,")


def test_reader_accepts_header_case_spaces_and_a_missing_score(tmp_path: Path) -> None:
    header = HEADER.upper().replace(",SCORE", "").replace("TITLE", " Title ")
    path = write(tmp_path / "disney_plus_titles.csv",
                 "\ufeff" + header + "\ns1,Movie,One,,,,,2020,G,90 min,Family,d\n")
    raw = read_platform_file(path, Platform.disney)
    assert not raw.has_score
    assert "score" not in raw.frame.columns
    assert raw.frame["title"].to_list() == ["One"]


def test_reader_stops_on_a_missing_required_column_naming_file_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "amazon_prime_titles.csv",
                 HEADER.replace(",release_year", "") + "\n")
    with pytest.raises(RequiredColumnMissing) as error:
        read_platform_file(path, Platform.amazon)
    assert "amazon_prime_titles.csv" in str(error.value)
    assert "'release_year'" in str(error.value)


def test_reader_stops_on_a_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileMissing, match=r"netflix_titles\.csv"):
        read_platform_file(tmp_path / "netflix_titles.csv", Platform.netflix)
    with pytest.raises(UnreadableInput, match="empty"):
        read_platform_file(write(tmp_path / "netflix_titles.csv", ""), Platform.netflix)


def load(tmp_path: Path, *bodies: str,
         ids: tuple[str, ...] = ("ns1", "ds2")) -> ratings_mod.Ratings:
    files = [write(tmp_path / "ratings" / f"{n}.csv", body) for n, body in enumerate(bodies, 1)]
    return ratings_mod.load_ratings(files, pl.Series(ids), tmp_path / "ratings.parquet")


def test_ratings_valid_rows_are_typed_and_aggregated(tmp_path: Path) -> None:
    result = load(tmp_path, "userId,rating,timestamp,movieId\n1,4.5,100,ns1\n2,0.5,200,ns1\n",
                  "movieId,userId,timestamp,rating\nds2,3, 300 ,5\n")  # other column order
    assert result.valid.collect_schema() == pl.Schema({"user_id": pl.Int32, "movie_id": pl.String,
                                             "rating": pl.Float32, "timestamp": pl.Int64})
    assert result.kept == 3
    assert result.valid.collect().rows() == [(1, "ns1", 4.5, 100), (2, "ns1", 0.5, 200),
                                             (3, "ds2", 5.0, 300)]
    stats = {row["movie_id"]: row for row in result.stats.to_dicts()}
    assert stats["ns1"]["rating_count"] == 2
    assert stats["ns1"]["avg_rating"] == pytest.approx(2.5)
    assert (stats["ds2"]["rating_count"], stats["ds2"]["avg_rating"]) == (1, 5.0)
    assert result.refused.height == 0


def test_ratings_refused_rows_carry_file_line_reason_and_text(tmp_path: Path) -> None:
    body = "\n".join([
        "userId,rating,timestamp,movieId",
        "1,4.0,100,ns1",      # 2 valid
        ",4.0,100,ns1",       # 3 missing user
        "1.5,4.0,100,ns1",    # 4 user not an integer
        "9999999999,4,1,ns1",  # 5 user beyond int32
        "1,abc,100,ns1",      # 6 rating not a number
        "1,7,100,ns1",        # 7 above 5
        "1,0,100,ns1",        # 8 below 0.5
        "1,3.3,100,ns1",      # 9 not a half star
        "1,nan,100,ns1",      # 10 not a half star either
        "1,4.0,soon,ns1",     # 11 timestamp
        "1,4.0,100,zz9",      # 12 unknown movie
        "1,4.0,100,",         # 13 no movie
        "1,4.0,100,ns1,extra",  # 14 ragged
        ",,,",                # 15 nothing at all
        "2,2.5,100,ds2",      # 16 valid
    ]) + "\n"
    result = load(tmp_path, body)
    assert result.valid.collect()["user_id"].to_list() == [1, 2]
    assert result.kept == 2
    codes = [reason.split(":")[0] for reason in result.refused["reason"].to_list()]
    assert result.refused["line"].to_list() == list(range(3, 16))
    assert codes == ["missing_user_id", "bad_user_id", "bad_user_id", "bad_rating",
                     "rating_not_half_star", "rating_not_half_star", "rating_not_half_star",
                     "rating_not_half_star", "bad_timestamp", "unknown_movie_id",
                     "unknown_movie_id", "wrong_field_count", "empty_row"]
    assert set(result.refused["source_file"].to_list()) == {"ratings/1.csv"}
    assert result.refused["raw"].to_list()[4] == "1,7,100,ns1"
    assert result.refused["raw"].to_list()[11] == "1,4.0,100,ns1,extra"


@pytest.mark.parametrize("value", ["0.5", "1", "1.5", "2.0", "4.5", "5", "5.0"])
def test_every_half_star_from_half_to_five_is_valid(tmp_path: Path, value: str) -> None:
    result = load(tmp_path, f"userId,rating,timestamp,movieId\n1,{value},100,ns1\n")
    assert result.valid.collect()["rating"].to_list() == [float(value)]


def test_ratings_header_without_movie_id_stops_the_run(tmp_path: Path) -> None:
    path = write(tmp_path / "ratings" / "3.csv", "userId,rating,timestamp\n1,4,1\n")
    with pytest.raises(RequiredColumnMissing) as error:
        ratings_mod.ratings_header(path)
    assert "3.csv" in str(error.value)
    assert "'movieId'" in str(error.value)


def test_no_ratings_files_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(InputFileMissing, match=r"ratings/\*\.csv"):
        ratings_mod.ratings_files(tmp_path)


def test_a_repeated_user_movie_and_timestamp_is_refused_after_its_first_valid_line(
        tmp_path: Path) -> None:
    body = "\n".join([
        "userId,rating,timestamp,movieId",
        "1,9,100,ns1",        # 2 refused (not a half star): never the first of its key
        "1,4.0,100,ns1",      # 3 valid, the first of its key
        "1,2.0,100,ns1",      # 4 same user, movie, timestamp: duplicate
        "1,4.0,101,ns1",      # 5 another timestamp: valid
        "1,4.0,100,ns1",      # 6 duplicate of line 3
    ]) + "\n"
    result = load(tmp_path, body)
    assert result.valid.collect().rows() == [(1, "ns1", 4.0, 100), (1, "ns1", 4.0, 101)]
    codes = [reason.split(":")[0] for reason in result.refused["reason"].to_list()]
    assert list(zip(result.refused["line"].to_list(), codes, strict=True)) == [
        (2, "rating_not_half_star"), (4, "duplicate_rating"), (6, "duplicate_rating")]
    assert result.stats.row(0) == ("ns1", 2, 4.0)
