"""One commit order: `etl-job run` killed at every step boundary never leaves a split version.

The job runs as a real process (testkit/killed_etl.py) whose logging handler SIGKILLs it when
the run logs one named commit step; no sleeps, no timing. After each kill the two `current`s
(the symlink the catalog reads, the Redis key recsys reads) each name one whole version, the
old or the new one as the boundary says; `etl-job repair` then brings them together and
leaves no `.partial` folder and no key without an expiry behind.
"""

import json
import uuid
from pathlib import Path

import polars as pl
import pytest
import redis
from contracts.redis_layout import RedisLayout, as_text, decode_meta
from contracts.schema import CATALOG_FILE, MANIFEST_FILE
from etl_job.publish import version_problem
from testkit.killed_etl import COMMIT_STEPS as STEPS
from testkit.stored import stored

COMMIT_POINT = STEPS.index("current_switched")
REDIS_SWITCH = STEPS.index("redis_switched")


def _symlink_run(out: Path) -> str:
    """The run the catalog would load, checked whole: manifest, files, row count."""
    run = (out / "current").resolve()
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    for output in manifest["outputs"]:
        assert (run / output["path"]).stat().st_size == output["bytes"], output
    assert pl.read_parquet(run / CATALOG_FILE).height == manifest["rows"]["catalog"]
    assert manifest["redis"]["version"] == run.name
    return run.name


def _redis_version(client: redis.Redis, layout: RedisLayout) -> str:
    """The version recsys would serve, checked whole (every hash at its recorded size)."""
    version = stored(client.get(layout.current)).decode()
    assert version_problem(client, layout=layout, version=version) is None
    meta = decode_meta(stored(client.get(layout.meta(version))))
    assert meta["model"]["run_id"] == version
    return version


def _keys_without_expiry(client: redis.Redis, layout: RedisLayout) -> set[str]:
    return {key.decode() for key in client.scan_iter(match=layout.match_all)
            if client.ttl(key) == -1}


@pytest.mark.slow
def test_a_kill_at_any_step_leaves_one_whole_version_and_repair_joins_the_halves(
        etl, etl_killed_at, sample_data_dir: Path, tmp_path: Path, redis_server) -> None:
    out = tmp_path / "out"
    prefix = f"commit-{uuid.uuid4().hex[:8]}"
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(out),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    layout = RedisLayout(prefix)
    client = redis.Redis.from_url(redis_server.url)

    # A whole run first, which also proves the hook sees every boundary, in order.
    log = tmp_path / "steps.log"
    done = etl_killed_at(env, "none", log)
    assert done.returncode == 0, done.stderr
    assert log.read_text().split() == list(STEPS)

    for number, step in enumerate(STEPS):
        old = _symlink_run(out)
        assert _redis_version(client, layout) == old
        runs_before = set((out / "runs").iterdir())
        killed = etl_killed_at(env, step, tmp_path / f"steps-{step}.log")
        assert killed.returncode == -9, (step, killed.stderr)
        new_folders = set((out / "runs").iterdir()) - runs_before
        assert len(new_folders) == 1, (step, new_folders)
        new = new_folders.pop().name.removesuffix(".partial")

        # Readers: each `current` names one whole version, old before its switch, new after.
        assert _symlink_run(out) == (new if number >= COMMIT_POINT else old), step
        assert _redis_version(client, layout) == (new if number >= REDIS_SWITCH else old), step

        repaired = etl(env, "repair")
        assert repaired.returncode == 0, (step, repaired.stderr)
        expected = new if number >= COMMIT_POINT else old
        assert _symlink_run(out) == expected, step
        assert _redis_version(client, layout) == expected, step
        assert not list((out / "runs").glob("*.partial")), step
        assert client.llen(layout.retired) == 0, step
        # Only committed versions (current and the rollback target) live without expiry;
        # a staged version that never became current expires by its build TTL.
        committed = {as_text(v) for v in client.lrange(layout.versions, 0, -1)}
        assert expected in committed
        assert _keys_without_expiry(client, layout) == {
            layout.current, layout.versions,
            *(key for version in committed for key in layout.version_keys(version))}, step
    client.close()


def test_publish_reloads_an_emptied_redis_from_the_run_without_retraining(
        etl, sample_data_dir: Path, tmp_path: Path, redis_server) -> None:
    prefix = f"republish-{uuid.uuid4().hex[:8]}"
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    assert etl(env, "run").returncode == 0
    layout = RedisLayout(prefix)
    client = redis.Redis.from_url(redis_server.url)
    version = stored(client.get(layout.current)).decode()
    before = {key: client.hgetall(key) for key in layout.version_keys(version)[:3]}
    client.unlink(*client.scan_iter(match=layout.match_all))  # Redis came back empty

    done = etl(env, "publish")
    assert done.returncode == 0, done.stderr
    assert "republished" in done.stdout
    assert "no retraining" in done.stdout
    assert "evaluation" not in done.stdout.lower()  # no evaluation table: nothing retrained
    assert stored(client.get(layout.current)).decode() == version
    assert {key: client.hgetall(key) for key in before} == before
    again = etl(env, "publish")
    assert again.returncode == 0
    assert "already serves" in again.stdout
    client.close()


def test_redis_failing_after_the_commit_point_rolls_forward_on_repair(
        sample_data_dir: Path, tmp_path: Path, redis_server) -> None:
    """An exception (not a kill) between the two switches: exit 1 naming the repair, which works."""
    from etl_job.errors import SwitchPending
    from etl_job.model_step import ModelStep
    from etl_job.pipeline import build_catalog
    from etl_job.republish import reconcile_redis

    class RedisLostAtSwitch(ModelStep):
        def switch(self, *, version: str) -> None:
            raise redis.ConnectionError("Connection reset by peer")

    prefix = f"forward-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    good = ModelStep(redis_url=redis_server.url, key_prefix=prefix)
    first = build_catalog(data_dir=sample_data_dir, output_dir=out, model_step=good).name
    broken = RedisLostAtSwitch(redis_url=redis_server.url, key_prefix=prefix)
    with pytest.raises(SwitchPending, match="etl-job repair") as caught:
        build_catalog(data_dir=sample_data_dir, output_dir=out, model_step=broken)
    second = caught.value.run_dir.name
    layout = RedisLayout(prefix)
    client = redis.Redis.from_url(redis_server.url)
    assert _symlink_run(out) == second  # committed on disk
    assert _redis_version(client, layout) == first  # Redis still whole, on the old version

    done = reconcile_redis(output_dir=out, redis_url=redis_server.url, key_prefix=prefix)
    assert (done.action, done.version) == ("switched", second)
    assert _redis_version(client, layout) == second
    client.close()


def test_repair_leaves_a_running_jobs_folder_alone(etl, tmp_path: Path) -> None:
    """A repair while another etl-job holds OUTPUT_DIR's lock touches nothing and exits 0."""
    from etl_job.runs import run_lock

    out = tmp_path / "out"
    live = out / "runs" / "20260101T000000000000Z-abcdef.partial"
    live.mkdir(parents=True)
    with run_lock(out):
        done = etl({"DATA_DIR": str(tmp_path), "OUTPUT_DIR": str(out),
                    "REDIS_URL": "redis://127.0.0.1:1/0"}, "repair")
    assert done.returncode == 0, done.stderr
    assert "another etl-job is working" in done.stdout
    assert live.is_dir()
    assert etl({"DATA_DIR": str(tmp_path), "OUTPUT_DIR": str(out)}, "repair").returncode == 2
    assert not live.exists()  # without the lock held, the dead run's folder goes
