"""`etl-job catalog` (the catalog step of `run`) as a real process: exit codes, clear errors."""

import subprocess
from pathlib import Path

import pytest
from etl_job.cli import main


@pytest.fixture
def data(sample_data_dir: Path, writable_copy) -> Path:
    return writable_copy(sample_data_dir)


@pytest.fixture
def first_run(catalog_run, data: Path) -> Path:
    """An output folder holding one good run, for the failures to leave alone."""
    return catalog_run(data)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *names: str) -> None:
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for name in names:
        assert name in lines[0]


def test_run_writes_a_run_and_reports_it(first_run: Path) -> None:
    current = first_run / "current"
    assert current.is_symlink()
    assert {p.name for p in current.iterdir()} == {
        "catalog.parquet", "ratings.parquet", "quarantine.csv", "series.parquet", "manifest.json"}


def test_missing_platform_file_exits_2_naming_the_file(etl, data: Path, first_run: Path) -> None:
    before = (first_run / "current").resolve()
    (data / "hulu_titles.csv").unlink()
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(first_run)}, "catalog")
    assert_one_line_error(done, "hulu_titles.csv", "does not exist")
    assert (first_run / "current").resolve() == before
    assert len(list((first_run / "runs").iterdir())) == 1


def test_missing_column_exits_2_naming_file_and_column(etl, data: Path, first_run: Path) -> None:
    before = (first_run / "current").resolve()
    path = data / "amazon_prime_titles.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace(",listed_in", ",genres"), *lines[1:]]) + "\n")
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(first_run)}, "catalog")
    assert_one_line_error(done, "amazon_prime_titles.csv", "'listed_in'")
    assert (first_run / "current").resolve() == before
    assert (first_run / "current" / "catalog.parquet").is_file()


def test_missing_ratings_column_exits_2_naming_file_and_column(etl, data: Path,
                                                               tmp_path: Path) -> None:
    (data / "ratings" / "2.csv").write_text("userId,rating,timestamp,movie\n4,2.0,1,ds7\n")
    done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(tmp_path / "o")}, "catalog")
    assert_one_line_error(done, "2.csv", "'movieId'")


def test_missing_setting_exits_2_naming_it(etl, tmp_path: Path) -> None:
    done = etl({"OUTPUT_DIR": str(tmp_path / "o")}, "catalog")
    assert_one_line_error(done, "DATA_DIR")


def test_unknown_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as stop:
        main(["nonsense"])
    assert stop.value.code == 2


def test_main_in_process_returns_2_on_a_missing_data_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("OUTPUT_DIR", str(tmp_path / "o"))
    assert main(["catalog"]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
