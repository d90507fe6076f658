"""Redis holds a bounded number of versions and the ETL refuses to stage past its memory
budget, with the figures; the servers' maxmemory agrees with that budget."""

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import redis
import yaml
from contracts.redis_layout import RedisLayout
from etl_job.config import Settings
from etl_job.publish import (
    MemoryBudgetExceeded,
    commit_version,
    connect,
    stage_version,
    stored_versions,
    used_memory,
)

from harness import RedisServer

ROOT = Path(__file__).resolve().parents[2]
MOVIES = 3000


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own: its used memory is this test's alone."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A model of MOVIES titles with 10 neighbours each."""
    ids = [f"ns{i}" for i in range(MOVIES)]
    titles = pl.DataFrame({"id": ids, "title": [f"title number {i}" for i in range(MOVIES)]})
    neighbours = pl.DataFrame({
        "movie_id": [ids[i] for i in range(MOVIES) for _ in range(10)],
        "rank": [rank for _ in range(MOVIES) for rank in range(1, 11)],
        "neighbour_id": [ids[(i + rank) % MOVIES] for i in range(MOVIES)
                         for rank in range(1, 11)],
        "score": [1 / rank for _ in range(MOVIES) for rank in range(1, 11)],
        "reason": ["liked by the same viewers"] * MOVIES * 10,
    }).with_columns(pl.col("rank").cast(pl.Int32))
    return neighbours, titles


def _stage(client: redis.Redis, layout: RedisLayout, version: str,
           frames: tuple[pl.DataFrame, pl.DataFrame], *, retired_kept: int | None = None,
           memory_budget_bytes: int | None = None) -> None:
    neighbours, titles = frames
    stage_version(client, layout=layout, version=version, neighbours=neighbours,
                  titles=titles, meta={"run_id": version}, retired_kept=retired_kept,
                  memory_budget_bytes=memory_budget_bytes)


def test_redis_keeps_two_committed_versions_and_one_retired(own_redis, frames) -> None:
    layout = RedisLayout("budget")
    client = connect(own_redis.url)
    for number in range(1, 7):
        version = f"v{number}"
        _stage(client, layout, version, frames, retired_kept=1)
        commit_version(client, layout=layout, version=version, retired_kept=1)
        assert len(stored_versions(client, layout=layout)) <= 3
    # v6 current, v5 the rollback target, v4 the last switched out (expiring); v1-v3 gone.
    assert stored_versions(client, layout=layout) == ["v4", "v5", "v6"]
    assert not client.keys("{budget:v1}*")
    client.close()


def test_staging_past_the_budget_is_refused_with_the_figures_and_writes_nothing(
        own_redis, frames) -> None:
    layout = RedisLayout("budget")
    client = connect(own_redis.url)
    before = used_memory(client)
    _stage(client, layout, "v1", frames)
    grown = used_memory(client) - before  # what one version really takes
    with pytest.raises(MemoryBudgetExceeded) as refused:
        _stage(client, layout, "v2", frames, memory_budget_bytes=used_memory(client) + grown // 2)
    message = str(refused.value)
    assert "REDIS_MEMORY_BUDGET_MB" in message
    assert "versions v1 under prefix 'budget'" in message
    figure = re.search(r"needs about ([\d.]+) MiB", message)
    assert figure is not None, message
    needed = float(figure.group(1)) * 1024 * 1024
    assert 0.7 * grown <= needed <= 1.5 * grown, (needed, grown)
    assert not client.keys("{budget:v2}*")
    _stage(client, layout, "v2", frames, memory_budget_bytes=used_memory(client) + 2 * grown)
    assert stored_versions(client, layout=layout) == ["v1", "v2"]
    client.close()


@pytest.mark.slow
def test_etl_run_past_the_budget_exits_2_and_publishes_nothing(
        etl, sample_data_dir: Path, tmp_path: Path, redis_server) -> None:
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "budget-cli",
           "REDIS_MEMORY_BUDGET_MB": "1"}
    client = redis.Redis.from_url(redis_server.url)
    client.set("{budget-cli}:ballast", b"x" * 2 * 1024 * 1024)  # Redis past 1 MiB for sure
    done = etl(env, "run")
    client.unlink("{budget-cli}:ballast")
    assert done.returncode == 2, done.stderr
    assert "refusing to stage version" in done.stderr
    assert "over the budget of 1 MiB (REDIS_MEMORY_BUDGET_MB)" in done.stderr
    assert not (tmp_path / "out" / "current").exists()
    assert not client.keys("{budget-cli*")
    client.close()


def _mib(text: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(mb|Mi|Gi)", text).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


def test_redis_maxmemory_sits_between_the_etl_budget_and_the_pod_limit() -> None:
    budget = Settings.model_fields["redis_memory_budget_mb"].default
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    k8s = [doc for doc in yaml.safe_load_all((ROOT / "k8s" / "10-redis.yaml").read_text())
           if doc and doc.get("kind") == "StatefulSet"]
    (container,) = k8s[0]["spec"]["template"]["spec"]["containers"]
    for script in (" ".join(compose["services"]["redis"]["command"]),
                   " ".join(container["command"])):
        maxmemory = _mib(re.search(r"maxmemory (\w+)", script).group(1))  # type: ignore[union-attr]
        assert re.search(r"maxmemory-policy noeviction", script)
        assert budget < maxmemory < _mib(container["resources"]["limits"]["memory"])
