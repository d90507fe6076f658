"""What a run says while it works: a line as each stage starts and ends, a live timer between.

The steps report through the standard `logging` module (loggers `etl_job.stages` and
`etl_job.details`), so a library caller or a test sees nothing unless it asks; the command
line installs `StageLines`, which prints each stage's start and end, and the details (the
evaluation table) only when asked for them (`etl-job run -v`).
"""

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

stage_log = logging.getLogger("etl_job.stages")
detail_log = logging.getLogger("etl_job.details")


@contextmanager
def stage(name: str, doing: str) -> Iterator[dict[str, Any]]:
    """Report the stage `name` ("reading") as it starts ("reading the four catalog files")
    and as it ends, with its seconds; put a short result in the yielded dict's "done"."""
    outcome: dict[str, Any] = {}
    stage_log.info("%s: %s", name, doing, extra={"stage": name, "event": "start", "doing": doing})
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        stopped = {"stage": name, "event": "stopped", "seconds": time.perf_counter() - started}
        stage_log.info("%s: stopped", name, extra=stopped)
        raise
    seconds = time.perf_counter() - started
    end = {"stage": name, "event": "end", "seconds": seconds, "done": outcome.get("done")}
    stage_log.info("%s: done in %.1f s", name, seconds, extra=end)


def detail(text: str) -> None:
    """Something only a verbose run prints (the evaluation table, the series figures)."""
    detail_log.info("%s", text)


class StageLines(logging.Handler):
    """Prints stage starts and ends as lines; in a terminal, a spinner and the time spent
    while a stage runs (rich), gone when it ends."""

    def __init__(self, *, stream: TextIO | None = None, prefix: str = "etl") -> None:
        super().__init__(level=logging.INFO)
        # None: whatever sys.stdout is when a line is printed (rich's Console does the same),
        # so a handler installed under a replaced stdout never writes to a closed one.
        self._stream = stream
        self.prefix = prefix
        self.console = Console(file=stream, highlight=False)
        self._live: Progress | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:  # logging's contract: a handler's failure never stops the caller
            self.handleError(record)

    def _emit(self, record: logging.LogRecord) -> None:
        fields = vars(record)  # the `extra` of stage()
        name = f"{self.prefix}: {fields.get('stage')}"
        if fields.get("event") == "start":
            self._stop_live()
            self._print(f"{name} — {fields['doing']} …")
            if self.console.is_terminal:
                columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
                self._live = Progress(*columns, console=self.console, transient=True)
                self._live.add_task(str(fields["stage"]), total=None)
                self._live.start()
        elif fields.get("event") == "stopped":
            self._stop_live()
            self._print(f"{name} — stopped after {fields['seconds']:.1f} s")
        elif fields.get("event") == "end":
            self._stop_live()
            done = f" ({fields['done']})" if fields.get("done") else ""
            self._print(f"{name} — done in {fields['seconds']:.1f} s{done}")
        else:
            self._print(record.getMessage())

    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False)
        else:
            print(text, file=self._stream or sys.stdout, flush=True)

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self._stop_live()
        super().close()


def report_stages(
    *, verbose: bool = False, stream: TextIO | None = None, prefix: str = "etl"
) -> StageLines:
    """Print the stages (and, if `verbose`, the details) of what runs in this process, each
    line starting with `prefix`."""
    handler = StageLines(stream=stream, prefix=prefix)
    for logger in (stage_log, detail_log):
        # Called again (another command in the same process): the new handler replaces it.
        for old in [h for h in logger.handlers if isinstance(h, StageLines)]:
            logger.removeHandler(old)
            old.close()
        if logger is stage_log or verbose:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
    return handler
