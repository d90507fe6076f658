"""Run directories: every run writes its own folder, then `current` switches to it atomically."""

import fcntl
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contracts.schema import CURRENT_LINK

from etl_job.errors import EtlError

RUNS_DIR = "runs"
STAGING_SUFFIX = ".partial"
LOCK_FILE = ".etl-job.lock"
# One run id per line, each run `current` has named: a renamed folder missing from it was
# killed before its commit point. Kept beside runs/ so a run's folder holds only its outputs.
COMMITTED_FILE = "committed-runs"
# Quarantines of runs a gate refused, kept as refused/<run id>-quarantine.csv (the newest few).
REFUSED_DIR = "refused"
# The current run and the previous committed one (the rollback target) are always kept.
MIN_KEEP_RUNS = 2
# Each boundary of the commit order (docs/operations.md) is logged here with the record
# attribute `commit_step`: an operator who turns INFO on sees where a run got to, and the
# crash tests kill the process from a logging handler at a named boundary.
commit_log = logging.getLogger("etl_job.commit")


def log_step(step: str) -> None:
    """Log that the run passed a boundary of the commit order."""
    commit_log.info("commit step: %s", step, extra={"commit_step": step})


class RunInProgress(EtlError):
    """Another etl-job holds OUTPUT_DIR's lock."""


@contextmanager
def run_lock(output_dir: Path) -> Iterator[None]:
    """Hold OUTPUT_DIR's lock for a run, a repair or a rollback; never wait for another's.

    A repair must not take a running job's `.partial` folder for a crashed one's.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    with (output_dir / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"another etl-job is working in {output_dir} (it holds "
                f"{LOCK_FILE}); try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def committed_runs(*, output_dir: Path) -> list[str]:
    """The ids of the runs `current` has named, in the order they first did."""
    path = output_dir / COMMITTED_FILE
    if not path.is_file():
        return []
    return list(dict.fromkeys(path.read_text(encoding="utf-8").split()))


def mark_committed(*, output_dir: Path, run_id: str) -> None:
    """Record that `current` names run_id (appended and synced: it decides what repair keeps)."""
    if run_id in committed_runs(output_dir=output_dir):
        return
    with (output_dir / COMMITTED_FILE).open("a", encoding="utf-8") as handle:
        handle.write(f"{run_id}\n")
        handle.flush()
        os.fsync(handle.fileno())


@dataclass(frozen=True)
class Cleaned:
    """What clean_killed_runs removed: staging folders, renamed folders never made current
    (their ids name Redis versions that were at most staged), and half-made links."""

    staging: list[str]
    uncommitted: list[str]
    links: list[str]

    def names(self) -> list[str]:
        return [*self.staging, *self.uncommitted, *self.links]


def clean_killed_runs(*, output_dir: Path) -> Cleaned:
    """Remove what killed runs left: runs/*.partial, renamed runs that never became current,
    half-made `current` links; record the current run as committed if a kill cut that short.

    A renamed folder is uncommitted when it is newer than the current run and missing from
    COMMITTED_FILE (a run rolled back from was committed, and stays). Call it only under
    run_lock, so no live run's folder is taken for a dead one's.
    """
    folder = output_dir / RUNS_DIR
    staging = []
    for partial in sorted(folder.glob(f"*{STAGING_SUFFIX}")) if folder.is_dir() else []:
        shutil.rmtree(partial, ignore_errors=True)
        staging.append(partial.name)
    links = []
    for link in output_dir.glob(f".{CURRENT_LINK}-*.tmp"):
        link.unlink(missing_ok=True)
        links.append(link.name)
    current = current_run(output_dir=output_dir)
    if current is not None:
        mark_committed(output_dir=output_dir, run_id=current.name)
    committed = set(committed_runs(output_dir=output_dir))
    uncommitted = []
    for run in list_runs(output_dir=output_dir):
        newer = current is None or run.name > current.name
        if newer and run.name not in committed and run.resolve() != current:
            shutil.rmtree(run)
            uncommitted.append(run.name)
    return Cleaned(staging=staging, uncommitted=uncommitted, links=links)


def keep_refused_quarantine(*, output_dir: Path, staging: Path, keep: int) -> Path | None:
    """Move a refused run's quarantine out of its folder before the folder goes; only the
    newest `keep` refused quarantines stay. Returns the kept file, None if there was none."""
    source = staging / "quarantine.csv"
    if not source.is_file():
        return None
    folder = output_dir / REFUSED_DIR
    folder.mkdir(exist_ok=True)
    kept = folder / f"{staging.name.removesuffix(STAGING_SUFFIX)}-quarantine.csv"
    source.rename(kept)
    for old in sorted(folder.glob("*-quarantine.csv"))[:-keep]:
        old.unlink()
    return kept


def new_run_id(now: datetime | None = None) -> str:
    """A sortable id: UTC time to the microsecond plus a short random suffix."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(3)}"


def start_run(*, output_dir: Path, run_id: str) -> Path:
    """Create the staging folder runs/<run_id>.partial that the run writes into."""
    staging = output_dir / RUNS_DIR / f"{run_id}{STAGING_SUFFIX}"
    staging.mkdir(parents=True)
    return staging


def discard_run(*, staging: Path) -> None:
    """Remove what a failed run wrote, staged or already renamed."""
    final = staging.with_name(staging.name.removesuffix(STAGING_SUFFIX))
    for folder in (staging, final):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)


def switch_current(*, output_dir: Path, run_dir: Path) -> None:
    """Point output_dir/current at run_dir in one rename, so readers never see a half state."""
    target = run_dir.relative_to(output_dir)
    temporary = output_dir / f".{CURRENT_LINK}-{run_dir.name}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=True)
    try:
        os.replace(temporary, output_dir / CURRENT_LINK)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def sync_folder(folder: Path) -> None:
    """fsync every file of the folder and the folder itself: on disk before any link names it."""
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def finish_run(*, output_dir: Path, staging: Path) -> Path:
    """Rename the staging folder to runs/<run_id> and switch `current` to it (the commit)."""
    sync_folder(staging)
    run_dir = staging.with_name(staging.name.removesuffix(STAGING_SUFFIX))
    staging.rename(run_dir)
    log_step("run_renamed")
    switch_current(output_dir=output_dir, run_dir=run_dir)
    mark_committed(output_dir=output_dir, run_id=run_dir.name)
    return run_dir


def list_runs(*, output_dir: Path) -> list[Path]:
    """Finished runs, oldest first."""
    folder = output_dir / RUNS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.endswith(STAGING_SUFFIX))


def current_run(*, output_dir: Path) -> Path | None:
    """The run `current` points at, if any."""
    link = output_dir / CURRENT_LINK
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def rollback_run(*, output_dir: Path) -> Path | None:
    """The run a rollback returns to: the newest finished run older than the current one."""
    current = current_run(output_dir=output_dir)
    older = [r for r in list_runs(output_dir=output_dir) if current and r.name < current.name]
    return older[-1] if older else None


def prune_runs(*, output_dir: Path, keep: int) -> list[str]:
    """Delete finished runs beyond the newest `keep`, never the current run nor the rollback
    target; returns their ids. Call it after clean_killed_runs, so only committed runs count.
    """
    if keep < MIN_KEEP_RUNS:
        raise ValueError(
            f"keep must be {MIN_KEEP_RUNS} or more (the current run and the "
            f"rollback target), got {keep}"
        )
    kept = {
        run.resolve()
        for run in (current_run(output_dir=output_dir), rollback_run(output_dir=output_dir))
        if run is not None
    }
    removed = []
    for old in list_runs(output_dir=output_dir)[:-keep]:
        if old.resolve() not in kept:
            shutil.rmtree(old)
            removed.append(old.name)
    _forget_removed(output_dir=output_dir)
    return removed


def _forget_removed(*, output_dir: Path) -> None:
    """Rewrite COMMITTED_FILE without the runs no longer on disk (one rename)."""
    path = output_dir / COMMITTED_FILE
    if not path.is_file():
        return
    present = {run.name for run in list_runs(output_dir=output_dir)}
    kept = [run_id for run_id in committed_runs(output_dir=output_dir) if run_id in present]
    temporary = path.with_name(f".{COMMITTED_FILE}.tmp")
    temporary.write_text("".join(f"{run_id}\n" for run_id in kept), encoding="utf-8")
    os.replace(temporary, path)
