"""The generator of GENERATED ratings: layout, determinism, value ranges, catalog ids, labels."""

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from bench.generate import Spec
from contracts.domain import Platform

from bench import generate

HEADER = "userId,rating,timestamp,movieId"
ROWS, USERS = 30_000, 700


def catalog_movie_ids(catalog_dir: Path) -> set[str]:
    """Movie ids the ETL keeps, read with plain csv: letter + show_id, type movie, int year."""
    ids: set[str] = set()
    for platform in Platform:
        with (catalog_dir / platform.source_file).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                show_id, title = (row["show_id"] or "").strip(), (row["title"] or "").strip()
                year = (row["release_year"] or "").strip()
                if (
                    (row["type"] or "").strip().lower() == "movie"
                    and show_id
                    and title
                    and year.isdigit()
                ):
                    ids.add(platform.id_letter + show_id.lower())
    return ids


def read_rows(out: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for number in range(1, 9):
        with (out / "ratings" / f"{number}.csv").open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def digest(out: Path) -> str:
    sha = hashlib.sha256()
    for number in range(1, 9):
        sha.update((out / "ratings" / f"{number}.csv").read_bytes())
    return sha.hexdigest()


@pytest.fixture(scope="module")
def generated(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate.generate(out=out, spec=Spec(rows=ROWS, users=USERS, seed=7), catalog_dir=real_data_dir)
    return out


def test_layout_is_eight_files_of_the_real_columns_beside_the_real_catalog(
    generated, real_data_dir
):
    files = sorted(p.name for p in (generated / "ratings").glob("*.csv"))
    assert files == [f"{n}.csv" for n in range(1, 9)]
    for name in files:
        assert (generated / "ratings" / name).read_text().splitlines()[0] == HEADER
    for platform in Platform:
        linked = generated / platform.source_file
        assert linked.read_bytes() == (real_data_dir / platform.source_file).read_bytes()
    assert len(read_rows(generated)) == ROWS


def test_it_is_labelled_as_generated_everywhere(generated):
    record = json.loads((generated / generate.MARKER).read_text())
    assert record["generated"] is True
    assert (record["rows"], record["users"], record["seed"]) == (ROWS, USERS, 7)
    for readme in (generated / "GENERATED.md", generated / "ratings" / "GENERATED.md"):
        assert readme.read_text().startswith("# GENERATED data: synthetic ratings")
    assert generate.marker(generated) == record


def test_values_are_half_stars_in_1996_2017_by_every_user_once_per_movie(generated):
    rows = read_rows(generated)
    stars = {float(row["rating"]) for row in rows}
    assert stars <= {n / 2 for n in range(1, 11)}
    assert {row["rating"] for row in rows} <= {f"{n / 2:.1f}" for n in range(1, 11)}
    stamps = [int(row["timestamp"]) for row in rows]
    assert min(stamps) >= 820_454_400
    assert max(stamps) <= 1_514_764_799
    users = {int(row["userId"]) for row in rows}
    assert users == set(range(1, USERS + 1))
    pairs = Counter((row["userId"], row["movieId"]) for row in rows)
    assert max(pairs.values()) == 1


def test_movie_ids_all_come_from_the_real_catalog(generated, real_data_dir):
    ids = {row["movieId"] for row in read_rows(generated)}
    assert ids <= catalog_movie_ids(real_data_dir)
    assert len(ids) > 1000  # spread over the catalog, not a handful of films


def test_popularity_is_long_tailed_and_tastes_differ(generated):
    rows = read_rows(generated)
    per_movie = sorted(Counter(row["movieId"] for row in rows).values(), reverse=True)
    top = per_movie[: max(1, len(per_movie) // 20)]
    assert sum(top) / len(rows) > 0.25  # the top 5% of movies hold over a quarter
    first, second = (
        {row["movieId"] for row in rows if row["userId"] == user} for user in ("1", "2")
    )
    assert first != second


def test_the_same_seed_writes_the_same_bytes(real_data_dir, tmp_path, generated):
    again = tmp_path / "again"
    generate.generate(
        out=again, spec=Spec(rows=ROWS, users=USERS, seed=7), catalog_dir=real_data_dir
    )
    other = tmp_path / "other"
    generate.generate(
        out=other, spec=Spec(rows=ROWS, users=USERS, seed=8), catalog_dir=real_data_dir
    )
    assert digest(again) == digest(generated)
    assert digest(other) != digest(generated)


def test_it_never_writes_into_the_source_data_or_over_other_files(sample_data_dir, tmp_path):
    with pytest.raises(ValueError, match="refusing"):
        generate.generate(
            out=sample_data_dir / "out", spec=Spec(rows=10, users=2), catalog_dir=sample_data_dir
        )
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"GENERATED\.json missing"):
        generate.generate(out=occupied, spec=Spec(rows=10, users=2), catalog_dir=sample_data_dir)
    assert (occupied / "notes.txt").read_text() == "mine"


def test_spec_refuses_more_users_than_ratings():
    with pytest.raises(ValueError, match="cannot exceed"):
        Spec(rows=5, users=6)


def test_default_users_keep_the_real_ratio():
    assert generate.default_users(generate.FULL_ROWS) == 270_896
    assert generate.default_users(1) == 1


def test_command_line_writes_a_generated_data_dir(sample_data_dir, tmp_path, capsys):
    out = tmp_path / "cli"
    code = generate.main(
        [
            "--rows",
            "40",
            "--users",
            "10",
            "--seed",
            "3",
            "--out",
            str(out),
            "--catalog-dir",
            str(sample_data_dir),
            "--copy-catalog",
        ]
    )
    assert code == 0
    assert "GENERATED 40 ratings by 10 users" in capsys.readouterr().out
    assert not (out / "netflix_titles.csv").is_symlink()
    assert len(read_rows(out)) == 40
    assert (
        generate.main(
            [
                "--rows",
                "3",
                "--users",
                "4",
                "--out",
                str(tmp_path / "bad"),
                "--catalog-dir",
                str(sample_data_dir),
            ]
        )
        == 2
    )
