"""Publication gates on the real files: truncated or emptied input and large shrinks are refused.

A netflix file cut inside a quoted field, or reduced to its header, was
published (exit 0, made current). Every run here is the real `etl-job` process.
"""

import json
from pathlib import Path

import polars as pl
import pytest
from etl_job.gates import PublicationGates, ShrinkRefused

NETFLIX = "netflix_titles.csv"


@pytest.fixture
def data(real_data_dir: Path, writable_copy) -> Path:
    """A writable copy of the real dataset."""
    return writable_copy(real_data_dir)


@pytest.fixture
def published(catalog_run, data: Path) -> Path:
    """An output folder whose current run is the real, whole dataset."""
    return catalog_run(data)


def manifest(output: Path) -> dict:
    return json.loads((output / "current" / "manifest.json").read_text())


def refused(done, code: int, *words: str) -> str:
    """The one stderr line of a refused run, checked to name every word."""
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_file_cut_inside_a_quoted_field_is_refused(etl, data: Path, published: Path):
    before = (published / "current").resolve()
    text = (data / NETFLIX).read_bytes()
    # Cut a few bytes after a quoted field opens, 60% into the file, as a failed copy would.
    opening = text.index(b',"', len(text) * 6 // 10) + 5
    (data / NETFLIX).write_bytes(text[:opening])
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    refused(done, 2, NETFLIX, "truncated", "quoted field")
    assert (published / "current").resolve() == before
    assert manifest(published)["rows"]["catalog_by_platform"]["netflix"]["total"] == 8807


def test_a_file_cut_at_a_line_end_mid_record_is_refused(etl, data: Path, published: Path):
    text = (data / NETFLIX).read_bytes()
    # The last line ends after the third field: a record with too few fields.
    cut = text.rindex(b"\ns", 0, len(text) // 2) + 1
    (data / NETFLIX).write_bytes(text[:cut] + b"s99999,Movie,cut here\n")
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    refused(done, 2, NETFLIX, "3 fields, the header has 13")


def test_a_file_reduced_to_its_header_is_refused(etl, data: Path, published: Path):
    before = (published / "current").resolve()
    header = (data / NETFLIX).read_bytes().split(b"\n", 1)[0] + b"\n"
    (data / NETFLIX).write_bytes(header)
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    refused(done, 2, NETFLIX, "no data rows")
    assert (published / "current").resolve() == before


def test_an_empty_ratings_file_is_refused(etl, data: Path, published: Path):
    path = data / "ratings" / "2.csv"
    path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    refused(done, 2, "2.csv", "no data rows")


def test_a_well_formed_but_shrunk_file_is_refused_naming_what_shrank(etl, data: Path,
                                                                  published: Path):
    before = (published / "current").resolve()
    lines = (data / NETFLIX).read_bytes().split(b"\n")
    # Keep whole records only: the first 40% of the lines, up to the last one starting a record.
    kept = lines[: int(len(lines) * 0.4)]
    while not kept[-1].startswith(b"s"):
        kept.pop()
    kept.pop()  # that record may continue on the next lines
    (data / NETFLIX).write_bytes(b"\n".join(kept) + b"\n")
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    line = refused(done, 4, "catalog rows netflix movie 6131 ->", "catalog rows netflix tv show",
                   "10%", "--accept-shrink")
    assert "amazon" not in line  # only what shrank is named
    assert (published / "current").resolve() == before
    assert [p.name for p in (published / "runs").iterdir()] == [before.name]

    accepted = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog",
                   "--accept-shrink")
    assert accepted.returncode == 0, accepted.stderr
    shrink = manifest(published)["gates"]["shrink"]
    assert shrink["accepted"] is True
    assert shrink["previous_run"] == before.name
    netflix = shrink["figures"]["catalog rows netflix movie"]
    assert netflix["previous"] == 6131
    assert netflix["now"] < 6131 * 0.6
    assert netflix["change"] == round((netflix["now"] - 6131) / 6131, 4)


def test_the_allowed_share_is_a_setting(etl, data: Path, published: Path):
    ratings = data / "ratings" / "2.csv"
    ratings.write_bytes(b"\n".join(ratings.read_bytes().split(b"\n")[:2000]) + b"\n")
    env = {"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}
    refused(etl(env, "catalog"), 4, "ratings kept")
    assert etl({**env, "MAX_SHRINK": "0.6"}, "catalog").returncode == 0
    assert manifest(published)["gates"]["shrink"]["max_shrink"] == 0.6


def test_a_whole_run_records_every_gate_in_its_manifest(real_data_dir: Path, published: Path):
    gates = manifest(published)["gates"]
    netflix = gates["structure"][NETFLIX]
    # Independently: data records of the real file, by the csv module, not the ETL's reader.
    import csv

    with (real_data_dir / NETFLIX).open(newline="", encoding="utf-8") as handle:
        records = sum(1 for row in csv.reader(handle) if row) - 1
    assert netflix["rows"] == records == 8807
    assert set(gates["structure"]) == {"amazon_prime_titles.csv", "disney_plus_titles.csv",
                                       "hulu_titles.csv", NETFLIX, "ratings/1.csv",
                                       "ratings/2.csv"}
    assert gates["shrink"]["previous_run"] is None
    assert gates["shrink"]["figures"]["ratings kept"]["now"] == manifest(published)["rows"][
        "ratings"]


def test_movies_with_neighbours_are_compared_before_publishing():
    previous = {"run_id": "r1", "rows": {"ratings": 10}, "model": {"movies": 1000}}
    neighbours = pl.DataFrame({"movie_id": [f"m{i % 850}" for i in range(1700)]})
    gates = PublicationGates(previous=previous)
    with pytest.raises(ShrinkRefused, match=r"movies with neighbours 1000 -> 850 \(-15.0%\)"):
        gates.check_model(neighbours)
    PublicationGates(previous=previous, max_shrink=0.2).check_model(neighbours)
    PublicationGates(previous=previous, accept_shrink=True).check_model(neighbours)
    # A first run (nothing to compare with) and a growth pass.
    PublicationGates().check_model(neighbours)
    PublicationGates(previous={"model": {"movies": 800}}).check_model(neighbours)


def _netflix_ids(path: Path) -> set[str]:
    """Catalog id ("n" + show_id) of every netflix record, by the csv module."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return {f"n{row[0]}" for row in list(csv.reader(handle))[1:] if row}


def _movie_ids_rated(folder: Path) -> list[str]:
    """The movieId of every ratings line, by the csv module."""
    import csv

    ids: list[str] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            ids += [row["movieId"] for row in csv.DictReader(handle)]
    return ids


def test_a_catalog_file_cut_at_a_row_boundary_is_refused_and_its_quarantine_kept(
        etl, data: Path, published: Path, real_data_dir: Path):
    before = (published / "current").resolve()
    lines = (real_data_dir / NETFLIX).read_bytes().splitlines(keepends=True)
    (data / NETFLIX).write_bytes(b"".join(lines[:8369]))  # `head -n 8369`: 95% of the file
    gone = _netflix_ids(real_data_dir / NETFLIX) - _netflix_ids(data / NETFLIX)
    rated = _movie_ids_rated(data / "ratings")
    vanished = sum(1 for movie in rated if movie in gone)
    assert vanished > 1000

    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    line = refused(done, 4, "catalog rows of platform netflix 8807 ->", "2% allowed",
                   f"{vanished:,} ratings", "the previous run had and this one lacks",
                   "--accept-shrink", "quarantined are kept in")
    assert (published / "current").resolve() == before
    kept = Path(line.split("quarantined are kept in ")[1].split(";")[0])
    assert kept.parent == published / "refused"
    quarantine = pl.read_csv(kept)
    unknown = quarantine.filter(pl.col("reason").str.starts_with("unknown_movie_id"))
    assert unknown.height == vanished

    accepted = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog",
                   "--accept-shrink")
    assert accepted.returncode == 0, accepted.stderr
    gates = manifest(published)["gates"]
    assert gates["vanished_movies"]["ratings"] == vanished
    assert gates["vanished_movies"]["movies"] == len({
        raw.split(",")[3] for raw in unknown["raw"].to_list()})
    assert gates["vanished_movies"]["ratings_read"] == len(rated)
    netflix = gates["shrink"]["figures"]["catalog rows of platform netflix"]
    assert (netflix["previous"], netflix["max_shrink"]) == (8807, 0.02)
    assert netflix["now"] == 8807 - len(gone)


def test_duplicated_rating_lines_are_quarantined_and_the_stats_unchanged(
        etl, data: Path, published: Path):
    catalog_before = pl.read_parquet(published / "current" / "catalog.parquet")
    path = data / "ratings" / "1.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines, *lines[1:2001]]))  # lines 2-2001 appended again
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(published)}, "catalog")
    assert done.returncode == 0, done.stderr
    rejections = manifest(published)["rejections"]["ratings"]
    assert rejections["by_reason"] == {"duplicate_rating": 2000}
    quarantine = pl.read_csv(published / "current" / "quarantine.csv")
    assert quarantine["line"].to_list() == list(range(len(lines) + 1, len(lines) + 2001))
    catalog = pl.read_parquet(published / "current" / "catalog.parquet")
    columns = ["id", "rating_count", "avg_rating"]
    assert catalog.select(columns).sort("id").equals(catalog_before.select(columns).sort("id"))
    assert manifest(published)["rows"]["ratings"] == catalog_before["rating_count"].sum()


def test_the_vanished_movie_share_and_platform_shrink_are_settings(
        etl, data: Path, published: Path, real_data_dir: Path):
    lines = (real_data_dir / NETFLIX).read_bytes().splitlines(keepends=True)
    (data / NETFLIX).write_bytes(b"".join(lines[:8369]))
    env = {"DATA_DIR": str(data), "OUTPUT_DIR": str(published),
           "MAX_PLATFORM_SHRINK": "0.1", "MAX_VANISHED_SHARE": "0.2"}
    assert etl(env, "catalog").returncode == 0
    gates = manifest(published)["gates"]
    assert (gates["shrink"]["max_platform_shrink"], gates["vanished_movies"]["max_share"]) == (
        0.1, 0.2)
