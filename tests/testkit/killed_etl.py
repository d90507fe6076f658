"""`etl-job` run by a test that SIGKILLs it when the run logs a named commit step.

Run as a script (`python killed_etl.py run`): it attaches a logging handler to the ETL's
commit log (etl_job.runs.commit_log, every record carries `commit_step`), appends each step
to STEPS_LOG and kills the process at KILL_AT. The product has no test hook: the kill comes
from the logging module's documented Handler interface.
"""

import logging
import os
import signal
import sys
from pathlib import Path

# The boundaries of the commit order, in the order a successful `etl-job run` logs them
# (docs/operations.md, "Runs, rollback and repair").
COMMIT_STEPS = (
    "files_written", "neighbours_written", "redis_staged", "manifest_written", "run_renamed",
    "current_switched", "version_persisted", "redis_switched", "retired_expired", "pruned",
)
SCRIPT = Path(__file__)


class KillAtStep(logging.Handler):
    """Log each commit step to a file; SIGKILL the process at the named one."""

    def __init__(self, *, kill_at: str, steps_log: str | None) -> None:
        super().__init__(level=logging.INFO)
        self.kill_at = kill_at
        self.steps_log = steps_log

    def emit(self, record: logging.LogRecord) -> None:
        step = getattr(record, "commit_step", None)
        if step is None:
            return
        if self.steps_log:
            with open(self.steps_log, "a", encoding="utf-8") as log:
                log.write(f"{step}\n")
        if step == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    from etl_job.cli import main as etl_main
    from etl_job.runs import commit_log

    commit_log.setLevel(logging.INFO)
    commit_log.addHandler(KillAtStep(kill_at=os.environ.get("KILL_AT", ""),
                                     steps_log=os.environ.get("STEPS_LOG")))
    return etl_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
