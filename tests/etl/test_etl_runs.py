"""Run directories: sortable ids, the atomic `current` switch, pruning, cleanup of failures."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from etl_job import runs


def test_run_ids_sort_in_time_order_and_differ_within_one_instant() -> None:
    early = runs.new_run_id(datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    late = runs.new_run_id(datetime(2024, 1, 2, 3, 4, 5, 7, tzinfo=UTC))
    assert early.startswith("20240102T030405000006Z-")
    assert sorted([late, early]) == [early, late]
    same = datetime(2024, 1, 1, tzinfo=UTC)
    assert runs.new_run_id(same) != runs.new_run_id(same)


def finished_run(output_dir: Path, run_id: str) -> Path:
    staging = runs.start_run(output_dir=output_dir, run_id=run_id)
    (staging / "marker").write_text(run_id)
    return runs.finish_run(output_dir=output_dir, staging=staging)


def test_finish_run_renames_staging_and_points_current_at_it(tmp_path: Path) -> None:
    first = finished_run(tmp_path, "r1")
    assert first == tmp_path / "runs" / "r1"
    assert not (tmp_path / "runs" / "r1.partial").exists()
    link = tmp_path / "current"
    assert link.is_symlink()
    assert os.readlink(link) == "runs/r1"  # relative: the folder can move
    second = finished_run(tmp_path, "r2")
    assert (link / "marker").read_text() == "r2"
    assert runs.current_run(output_dir=tmp_path) == second.resolve()
    assert not list(tmp_path.glob(".current*"))  # no temporary link left behind


def test_discard_run_removes_what_a_failed_run_wrote(tmp_path: Path) -> None:
    finished_run(tmp_path, "r1")
    staging = runs.start_run(output_dir=tmp_path, run_id="r2")
    (staging / "catalog.parquet").write_text("half")
    runs.discard_run(staging=staging)
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["r1"]
    assert (tmp_path / "current" / "marker").read_text() == "r1"


def test_prune_keeps_the_newest_runs_and_never_the_current_one(tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3", "r4", "r5"):
        finished_run(tmp_path, run_id)
    runs.switch_current(output_dir=tmp_path, run_dir=tmp_path / "runs" / "r1")  # a rollback
    removed = runs.prune_runs(output_dir=tmp_path, keep=3)
    assert removed == ["r2"]
    assert [p.name for p in runs.list_runs(output_dir=tmp_path)] == ["r1", "r3", "r4", "r5"]
    assert (tmp_path / "current" / "marker").read_text() == "r1"


def test_a_staging_folder_is_never_listed_or_pruned(tmp_path: Path) -> None:
    finished_run(tmp_path, "r1")
    runs.start_run(output_dir=tmp_path, run_id="r0")  # another run still writing
    assert runs.prune_runs(output_dir=tmp_path, keep=2) == []
    assert (tmp_path / "runs" / "r0.partial").is_dir()
    assert [p.name for p in runs.list_runs(output_dir=tmp_path)] == ["r1"]


def test_start_run_refuses_to_reuse_a_folder(tmp_path: Path) -> None:
    runs.start_run(output_dir=tmp_path, run_id="r1")
    with pytest.raises(FileExistsError):
        runs.start_run(output_dir=tmp_path, run_id="r1")


def test_pruning_keeps_the_rollback_target_and_refuses_to_keep_fewer_than_two(
        tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3", "r4"):
        finished_run(tmp_path, run_id)
    runs.switch_current(output_dir=tmp_path, run_dir=tmp_path / "runs" / "r2")  # a rollback
    assert runs.prune_runs(output_dir=tmp_path, keep=2) == []  # r1: r2's rollback target
    assert [p.name for p in runs.list_runs(output_dir=tmp_path)] == ["r1", "r2", "r3", "r4"]
    with pytest.raises(ValueError, match="rollback target"):
        runs.prune_runs(output_dir=tmp_path, keep=1)


def test_cleaning_removes_renamed_runs_never_made_current_but_keeps_rolled_back_ones(
        tmp_path: Path) -> None:
    for run_id in ("r1", "r2", "r3"):
        finished_run(tmp_path, run_id)
    runs.switch_current(output_dir=tmp_path, run_dir=tmp_path / "runs" / "r2")  # a rollback
    killed = runs.start_run(output_dir=tmp_path, run_id="r4")
    killed.rename(tmp_path / "runs" / "r4")  # killed between its rename and the switch
    runs.start_run(output_dir=tmp_path, run_id="r5")  # killed while writing
    cleaned = runs.clean_killed_runs(output_dir=tmp_path)
    assert (cleaned.staging, cleaned.uncommitted) == (["r5.partial"], ["r4"])
    assert [p.name for p in runs.list_runs(output_dir=tmp_path)] == ["r1", "r2", "r3"]
    assert runs.committed_runs(output_dir=tmp_path) == ["r1", "r2", "r3"]
