"""Make Redis serve the current run's model: finish a cut switch, reload an emptied Redis."""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from contracts.redis_layout import RedisLayout, as_text
from contracts.schema import CATALOG_FILE, MANIFEST_FILE, NEIGHBOURS_FILE

from etl_job.errors import EtlError
from etl_job.films import film_table
from etl_job.publish import (
    commit_version,
    connect,
    expire_retired,
    stage_version,
    version_problem,
)
from etl_job.runs import current_run


@dataclass(frozen=True)
class Reconciled:
    """What reconcile_redis did: `action` is one of ACTIONS."""

    action: str
    run_id: str | None
    version: str | None
    seconds: float

    def sentence(self) -> str:
        return ACTIONS[self.action].format(run=self.run_id, version=self.version,
                                           seconds=self.seconds)


ACTIONS = {
    "no_run": "no current run in OUTPUT_DIR; nothing to publish",
    "no_model": "current run {run} has no model (made by `etl-job catalog`); Redis left as is",
    "in_place": "Redis already serves version {version} of current run {run}",
    "switched": "Redis' current switched to version {version} of current run {run} "
                "({seconds:.2f}s)",
    "republished": "version {version} of current run {run} republished to Redis from its "
                   "stored neighbours and made current ({seconds:.2f}s, no retraining)",
}


def model_titles(catalog: pl.DataFrame) -> pl.DataFrame:
    """The catalog entries a model version names, movies and shows, with their film (title,
    type, year, the platforms listing it, its ratings): what recsys can look up."""
    return film_table(catalog).select("id", "title", "type", "release_year", "film",
                                      "available_on", "ratings")


def version_meta(manifest: dict[str, Any]) -> dict[str, Any]:
    """The model metadata a version carries in Redis, from the run's manifest sections."""
    return {**manifest["model"], "metrics": manifest["evaluation"]}


def reconcile_redis(*, output_dir: Path, redis_url: str, key_prefix: str,
                    cluster: bool = False) -> Reconciled:
    """Make Redis' `current` name the current run's version, rewriting its keys if they are gone.

    The `current` symlink is the commit point of a run, so Redis follows it: a switch a crash
    cut is finished, a Redis that came back empty is loaded again from the run's
    neighbours.parquet (seconds, no retraining).
    """
    started = time.perf_counter()
    run = current_run(output_dir=Path(output_dir))
    if run is None:
        return Reconciled("no_run", None, None, 0.0)
    manifest = json.loads((run / MANIFEST_FILE).read_text(encoding="utf-8"))
    if not manifest.get("redis"):
        return Reconciled("no_model", run.name, None, 0.0)
    version = manifest["redis"]["version"]
    layout = RedisLayout(key_prefix)
    client = connect(redis_url, cluster=cluster)
    try:
        current = client.get(layout.current)
        whole = version_problem(client, layout=layout, version=version) is None
        if whole and current is not None and as_text(current) == version:
            expire_retired(client, layout=layout)
            return Reconciled("in_place", run.name, version, time.perf_counter() - started)
        action = "switched"
        if not whole:
            stored = run / NEIGHBOURS_FILE
            if not stored.is_file():
                raise EtlError(f"current run {run.name} keeps no {NEIGHBOURS_FILE} (it predates "
                               "them), so it cannot be republished: run `etl-job run`")
            stage_version(client, layout=layout, version=version,
                          neighbours=pl.read_parquet(stored),
                          titles=model_titles(pl.read_parquet(run / CATALOG_FILE)),
                          meta=version_meta(manifest))
            action = "republished"
        commit_version(client, layout=layout, version=version)
    finally:
        client.close()
    return Reconciled(action, run.name, version, round(time.perf_counter() - started, 3))
