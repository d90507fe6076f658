"""Runs and rollback on the real processes: killed runs never count, a rollback moves both
halves or neither, and the guard's repair never undoes an operator's rollback."""

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from contracts.redis_layout import RedisLayout
from testkit.stored import stored


@pytest.fixture
def killed_after_rename(etl_killed_at) -> Callable[[dict[str, str]], None]:
    """`etl-job run` SIGKILLed once its folder is renamed, before `current` names it."""
    def run(env: dict[str, str]) -> None:
        done = etl_killed_at(env, "run_renamed")
        assert done.returncode == -9, done.stderr
    return run


@pytest.fixture
def env(sample_data_dir: Path, tmp_path: Path, redis_server) -> dict[str, str]:
    return {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
            "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": f"rb-{uuid.uuid4().hex[:8]}"}


def _halves(env: dict[str, str]) -> tuple[str, str]:
    """(run the `current` symlink names, version Redis' `current` names)."""
    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        version = stored(client.get(RedisLayout(env["REDIS_KEY_PREFIX"]).current)).decode()
    finally:
        client.close()
    return (Path(env["OUTPUT_DIR"]) / "current").resolve().name, version


@pytest.mark.slow
def test_kill_kill_run_rollback_repair_leaves_both_halves_on_the_previous_version(
        etl, killed_after_rename, env: dict[str, str]) -> None:
    runs = Path(env["OUTPUT_DIR"]) / "runs"
    assert etl(env, "run").returncode == 0
    previous = _halves(env)[0]
    killed_after_rename(env)
    killed_after_rename(env)
    # The second run's start removed the first killed folder; the second's is left.
    assert len([p for p in runs.iterdir() if not p.name.endswith(".partial")]) == 2
    done = etl(env, "run")
    assert done.returncode == 0, done.stderr
    latest = _halves(env)[0]
    assert _halves(env) == (latest, latest) != (previous, previous)
    # The killed runs' folders went; the rollback target stayed (KEEP_RUNS is 3).
    assert sorted(p.name for p in runs.iterdir()) == [previous, latest]

    rolled = etl(env, "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert _halves(env) == (previous, previous)
    repaired = etl(env, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert _halves(env) == (previous, previous)  # the guard follows `current`, not the newest
    assert (runs / latest).is_dir()  # a run rolled back from was committed: repair keeps it


@pytest.mark.slow
def test_repair_removes_a_run_killed_after_its_rename_and_its_staged_keys(
        etl, killed_after_rename, env: dict[str, str]) -> None:
    assert etl(env, "run").returncode == 0
    first = _halves(env)[0]
    killed_after_rename(env)
    runs = Path(env["OUTPUT_DIR"]) / "runs"
    (killed,) = [p.name for p in runs.iterdir() if p.name != first]
    client = redis.Redis.from_url(env["REDIS_URL"])
    layout = RedisLayout(env["REDIS_KEY_PREFIX"])
    assert client.exists(layout.meta(killed))  # staged, never current
    repaired = etl(env, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert killed in repaired.stdout
    assert [p.name for p in runs.iterdir()] == [first]
    assert not client.exists(*layout.version_keys(killed))
    assert _halves(env) == (first, first)
    client.close()


@pytest.mark.slow
def test_a_rollback_whose_run_folder_is_gone_fails_and_moves_nothing(
        etl, env: dict[str, str]) -> None:
    assert etl(env, "run").returncode == 0
    first = _halves(env)[0]
    assert etl(env, "run").returncode == 0
    second = _halves(env)[0]
    runs = Path(env["OUTPUT_DIR"]) / "runs"
    (runs / first / "manifest.json").unlink()
    (runs / first).rename(runs.parent / "elsewhere")  # an operator moved it away
    refused = etl(env, "rollback")
    assert refused.returncode == 2
    assert f"version {first}" in refused.stderr
    assert "not on disk" in refused.stderr
    assert "Nothing was moved" in refused.stderr
    assert _halves(env) == (second, second)


def test_keep_runs_below_two_is_refused_naming_the_rollback_target(
        etl, env: dict[str, str]) -> None:
    done = etl({**env, "KEEP_RUNS": "1"}, "catalog")
    assert done.returncode == 2
    assert "KEEP_RUNS" in done.stderr
    assert "rollback" in done.stderr
    assert not Path(env["OUTPUT_DIR"]).exists()
