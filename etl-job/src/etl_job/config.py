"""Settings of the ETL job, read from the environment."""

import os
from pathlib import Path

from contracts.settings import BaseServiceSettings
from pydantic import Field, field_validator

from etl_job.runs import MIN_KEEP_RUNS


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which a container's cpuset sets)."""
    return len(os.sched_getaffinity(0))


class Settings(BaseServiceSettings):
    """DATA_DIR and OUTPUT_DIR are required; REDIS_URL too for the steps that use Redis."""

    data_dir: Path
    output_dir: Path
    # Runs kept on disk: at least the current one and the rollback target.
    keep_runs: int = 3
    # redis://[user:password@]host:port/db, or rediss:// for TLS. Required by `run` and
    # `rollback` (checked there), not by `catalog` and `evaluate`, which never touch Redis.
    redis_url: str | None = None
    redis_key_prefix: str = Field(default="recs", min_length=1, pattern=r"^[^{}]+$")
    # Memory Redis may use once a new version is staged (used_memory + the version's
    # estimated size); staging refuses beyond it. Below the server's `maxmemory` (768mb in
    # compose and k8s, policy noeviction) so the ETL refuses before Redis does.
    redis_memory_budget_mb: int = Field(default=640, ge=1)
    # Switched-out versions kept (until their expiry) for readers still on them; older ones,
    # and versions failed runs staged, are unlinked when a version is staged or committed.
    # Between runs Redis holds the two committed versions and this many more; while a run
    # stages, one more.
    redis_retired_versions: int = Field(default=1, ge=0)
    # True: REDIS_URL names any one node of a Redis Cluster (redis-py discovers the others).
    redis_cluster: bool = False
    # Seed of the user split of the offline evaluation.
    train_seed: int = 42
    # Queries the offline evaluation scores at most (whole held-out users drawn at random), so
    # its time stays bounded as ratings grow; the manifest reports the sample and its interval.
    eval_max_queries: int = Field(default=20_000, ge=1)
    # Threads of the recommender's parallel parts (sparse products, top-k blocks, implicit's kNN).
    recommender_threads: int = Field(default_factory=usable_cpus, ge=1)
    # Publication gates (etl_job.gates): the largest share any figure may fall by against the
    # current run, and whether a larger fall is accepted (`--accept-shrink` does it once).
    max_shrink: float = Field(default=0.10, ge=0, le=1)
    accept_shrink: bool = False
    # Tighter, per platform: its catalog rows against the previous run's.
    max_platform_shrink: float = Field(default=0.02, ge=0, le=1)
    # Ratings refused because their movie was in the previous catalog, as a share of those read.
    max_vanished_share: float = Field(default=0.01, ge=0, le=1)

    @field_validator("keep_runs")
    @classmethod
    def _keeps_the_rollback_target(cls, value: int) -> int:
        if value < MIN_KEEP_RUNS:
            raise ValueError(
                f"KEEP_RUNS must be {MIN_KEEP_RUNS} or more: the current run and the "
                "previous one, which `etl-job rollback` returns to"
            )
        return value
