"""Named boundaries of a run's commit order, and the hook tests use to inject a crash there."""

from collections.abc import Callable

# In the order a successful `etl-job run` reaches them. Up to `run_renamed` a crash leaves the
# previous run and model in place (the next start cleans up); from `current_switched` on, the
# run is committed and a crash is finished by `etl-job repair` or the next start.
STEPS = (
    "files_written",       # catalog, ratings and quarantine in runs/<id>.partial
    "neighbours_written",  # neighbours.parquet in runs/<id>.partial
    "redis_staged",        # the version's keys in Redis, with a build TTL, not current
    "manifest_written",    # manifest.json, the last file of the run
    "run_renamed",         # runs/<id>.partial -> runs/<id>, checked and synced
    "current_switched",    # the `current` symlink names the run: the commit point
    "version_persisted",   # the version's keys lose their build TTL
    "redis_switched",      # Redis' `current` names the version
    "retired_expired",     # versions the switch dropped get their expiry
    "pruned",              # old runs removed
)

_hook: Callable[[str], None] | None = None


def set_hook(hook: Callable[[str], None] | None) -> None:
    """Call `hook(step)` at every boundary (tests kill the process there); None removes it."""
    global _hook
    _hook = hook


def reached(step: str) -> None:
    """Mark a boundary; a no-op unless a test installed a hook."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    if _hook is not None:
        _hook(step)
