"""Run directories: every run writes its own folder, then `current` switches to it atomically."""

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from contracts.schema import CURRENT_LINK

from etl_job.errors import EtlError
from etl_job.steps import reached

RUNS_DIR = "runs"
STAGING_SUFFIX = ".partial"
LOCK_FILE = ".etl-job.lock"


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
            raise RunInProgress(f"another etl-job is working in {output_dir} (it holds "
                                f"{LOCK_FILE}); try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clean_partials(*, output_dir: Path) -> list[str]:
    """Remove what killed runs left: runs/*.partial folders and half-made `current` links.

    Call it only under run_lock, so no live run's folder is taken for a dead one's.
    """
    removed = []
    folder = output_dir / RUNS_DIR
    for staging in sorted(folder.glob(f"*{STAGING_SUFFIX}")) if folder.is_dir() else []:
        shutil.rmtree(staging, ignore_errors=True)
        removed.append(staging.name)
    for link in output_dir.glob(f".{CURRENT_LINK}-*.tmp"):
        link.unlink(missing_ok=True)
        removed.append(link.name)
    return removed


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
    reached("run_renamed")
    switch_current(output_dir=output_dir, run_dir=run_dir)
    return run_dir


def list_runs(*, output_dir: Path) -> list[Path]:
    """Finished runs, oldest first."""
    folder = output_dir / RUNS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_dir() and not p.name.endswith(STAGING_SUFFIX))


def current_run(*, output_dir: Path) -> Path | None:
    """The run `current` points at, if any."""
    link = output_dir / CURRENT_LINK
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def prune_runs(*, output_dir: Path, keep: int) -> list[str]:
    """Delete finished runs beyond the newest `keep`, never the current one; returns their ids."""
    current = current_run(output_dir=output_dir)
    removed = []
    for old in list_runs(output_dir=output_dir)[:-keep] if keep > 0 else []:
        if old.resolve() != current:
            shutil.rmtree(old)
            removed.append(old.name)
    return removed
