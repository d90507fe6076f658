"""Keep the two halves together: Redis serves the current run's model (finish a cut switch,
reload an emptied Redis), and a rollback moves both halves or neither."""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from contracts.redis_layout import RedisLayout, as_text
from contracts.schema import CATALOG_FILE, MANIFEST_FILE, NEIGHBOURS_FILE, TASTE_FILE

from etl_job.errors import EtlError
from etl_job.films import film_table
from etl_job.publish import (
    PublishError,
    RollbackUnavailable,
    commit_version,
    connect,
    expire_retired,
    rollback,
    rollback_target,
    stage_version,
    version_problem,
)
from etl_job.runs import RUNS_DIR, current_run, switch_current


class RollbackRefused(EtlError):
    """A rollback that cannot move both halves (run folder and Redis version); nothing moved."""


@dataclass(frozen=True)
class Reconciled:
    """What reconcile_redis did: `action` is one of ACTIONS."""

    action: str
    run_id: str | None
    version: str | None
    seconds: float

    def sentence(self) -> str:
        return ACTIONS[self.action].format(
            run=self.run_id, version=self.version, seconds=self.seconds
        )


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
    type, year, the platforms listing it, its ratings): what recsys can look up.

    The title is the platform's own spelling where the catalog keeps it: recommendations are
    read by people; lookups go through normalise_title, which folds case either way.
    """
    titles = film_table(catalog).select(
        "id", "title", "type", "release_year", "film", "available_on", "ratings"
    )
    if "age_band" in catalog.columns:  # who each is for: recsys' max_age filter reads it
        bands = catalog.select("id", "age_band").unique("id", keep="first")
        titles = titles.join(bands, on="id", how="left", maintain_order="left")
    if "display_title" not in catalog.columns:
        return titles
    shown = catalog.select("id", "display_title").unique("id", keep="first")
    return (
        titles.join(shown, on="id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("display_title", "title").alias("title"))
        .drop("display_title")
    )


def version_meta(manifest: dict[str, Any]) -> dict[str, Any]:
    """The model metadata a version carries in Redis, from the run's manifest sections."""
    return {**manifest["model"], "metrics": manifest["evaluation"]}


def reconcile_redis(
    *,
    output_dir: Path,
    redis_url: str,
    key_prefix: str,
    cluster: bool = False,
    retired_kept: int | None = None,
    memory_budget_bytes: int | None = None,
) -> Reconciled:
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
    with connect(redis_url, cluster=cluster) as client:
        current = client.get(layout.current)
        whole = version_problem(client, layout=layout, version=version) is None
        if whole and current is not None and as_text(current) == version:
            expire_retired(client, layout=layout)
            return Reconciled("in_place", run.name, version, time.perf_counter() - started)
        action = "switched"
        if not whole:
            stored = run / NEIGHBOURS_FILE
            if not stored.is_file():
                raise EtlError(
                    f"current run {run.name} keeps no {NEIGHBOURS_FILE} (it predates "
                    "them), so it cannot be republished: run `etl-job run`"
                )
            taste = run / TASTE_FILE
            stage_version(
                client,
                layout=layout,
                version=version,
                neighbours=pl.read_parquet(stored),
                titles=model_titles(pl.read_parquet(run / CATALOG_FILE)),
                meta=version_meta(manifest),
                taste=pl.read_parquet(taste) if taste.is_file() else None,
                retired_kept=retired_kept,
                memory_budget_bytes=memory_budget_bytes,
            )
            action = "republished"
        commit_version(client, layout=layout, version=version, retired_kept=retired_kept)
    return Reconciled(action, run.name, version, round(time.perf_counter() - started, 3))


def roll_back(*, output_dir: Path, redis_url: str, key_prefix: str, cluster: bool = False) -> str:
    """Move the `current` symlink and Redis' `current` back to the previous version, or
    neither (RollbackRefused says why); returns the version now current.

    Checked before anything moves: both halves name the same version now, Redis keeps a whole
    previous version, and its run folder is on disk with that version in its manifest. The
    symlink moves first (the commit point, as in a run); if Redis then refuses, it moves back.
    """
    output_dir = Path(output_dir)
    current = current_run(output_dir=output_dir)
    layout = RedisLayout(key_prefix)
    with connect(redis_url, cluster=cluster) as client:
        served = client.get(layout.current)
        try:
            target = rollback_target(client, layout=layout)
        except RollbackUnavailable as exc:
            raise RollbackRefused(f"{exc} Nothing was moved.") from None
    served_text = as_text(served) if served is not None else None
    if current is None or current.name != served_text:
        raise RollbackRefused(
            f"the halves disagree before the rollback: the `current` symlink names run "
            f"{current.name if current else None}, Redis serves version {served_text}; run "
            "`etl-job repair` first (it makes Redis follow the symlink). Nothing was moved."
        )
    run_dir = output_dir / RUNS_DIR / target
    problem = _run_problem(run_dir, version=target)
    if problem is not None:
        raise RollbackRefused(
            f"Redis could roll back to version {target}, but {problem}, so "
            "the catalog could not follow. Nothing was moved."
        )
    switch_current(output_dir=output_dir, run_dir=run_dir)
    try:
        done = rollback(redis_url=redis_url, key_prefix=key_prefix, cluster=cluster)
        if done != target:  # another writer committed in between: the halves would split
            raise PublishError(f"Redis rolled back to {done}, not {target}")
    except BaseException as exc:
        switch_current(output_dir=output_dir, run_dir=current)
        if isinstance(exc, PublishError):
            raise RollbackRefused(
                f"{exc}; the symlink was moved back to run {current.name}, so nothing changed"
            ) from None
        raise
    return target


def _run_problem(run_dir: Path, *, version: str) -> str | None:
    """Why run_dir cannot be the catalog half of `version` (a sentence), or None."""
    manifest_path = run_dir / MANIFEST_FILE
    if not manifest_path.is_file():
        return f"its run folder {run_dir} is not on disk (pruned or removed)"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    named = (manifest.get("redis") or {}).get("version")
    if named != version:
        return f"the run folder {run_dir} holds model version {named}, not {version}"
    return None
