"""Errors that stop an ETL run: bad input the operator must fix, named precisely."""

from pathlib import Path


class EtlError(Exception):
    """A run cannot go on; the message is one sentence meant for the operator."""


class InputFileMissing(EtlError):
    def __init__(self, path: Path, what: str = "input file") -> None:
        self.path = path
        super().__init__(f"{what} {path} does not exist")


class RequiredColumnMissing(EtlError):
    def __init__(self, path: Path, column: str, found: list[str]) -> None:
        self.path = path
        self.column = column
        super().__init__(
            f"{path} has no required column '{column}' "
            f"(its header has: {', '.join(found) or 'nothing'})"
        )


class UnreadableInput(EtlError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path} cannot be read: {reason}")


class SwitchPending(RuntimeError):
    """The run is committed (`current` names it) but Redis' `current` could not follow yet."""

    def __init__(self, run_dir: Path, cause: BaseException) -> None:
        self.run_dir = run_dir
        super().__init__(
            f"run {run_dir.name} is current, but Redis' current could not follow "
            f"({type(cause).__name__}: {cause}); `etl-job repair` (or the next "
            "run) finishes the switch"
        )
