"""The typed fast path of the ratings ingest agrees with the checked text path, or steps aside."""

from pathlib import Path

import polars as pl
import pytest
from etl_job.ratings import check_ratings, load_ratings_fast, scan_ratings, valid_ratings

CATALOG_IDS = pl.Series("id", ["ns1", "ns2", "hs3"])


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_files_give_what_the_checked_path_gives(tmp_path: Path) -> None:
    files = [write(tmp_path, "1.csv", "userId,rating,timestamp,movieId\n1,4.5,100,ns1\n"
                                      "2,0.5,101,hs3\n"),
             write(tmp_path, "2.csv", "movieId,userId,timestamp,rating\nns1,3,102,5.0\n")]
    out = tmp_path / "ratings.parquet"
    fast = load_ratings_fast(files, CATALOG_IDS, out)
    assert fast is not None
    checked = valid_ratings(check_ratings(scan_ratings(files), CATALOG_IDS)).collect()
    assert pl.read_parquet(out).equals(checked)  # written to disk, read back lazily
    assert fast.valid.collect().equals(checked)
    assert fast.kept == checked.height
    assert fast.refused.height == 0
    stats = {row["movie_id"]: (row["rating_count"], row["avg_rating"])
             for row in fast.stats.iter_rows(named=True)}
    assert stats == {"ns1": (2, 4.75), "hs3": (1, 0.5)}


@pytest.mark.parametrize("bad_line", [
    "1,4.3,100,ns1",      # not a half star
    "1,4.5,100,zz9",      # unknown movie id
    "1,abc,100,ns1",      # not a number
    ",4.5,100,ns1",       # no user
    "1,4.5,100,ns1,extra",  # ragged
    "1,7,100,ns1",        # out of range
    "2,3.0,1,ns2",        # the first line's user, movie and timestamp again
])
def test_any_row_to_quarantine_sends_the_load_to_the_checked_path(tmp_path: Path,
                                                                  bad_line: str) -> None:
    text = f"userId,rating,timestamp,movieId\n2,4.0,1,ns2\n{bad_line}\n"
    files = [write(tmp_path, "1.csv", text)]
    out = tmp_path / "ratings.parquet"
    assert load_ratings_fast(files, CATALOG_IDS, out) is None
    assert not out.exists()  # no half-written file left for the checked path to trip on
