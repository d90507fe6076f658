"""The `etl-job` command: one subcommand per step, settings from the environment."""

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from etl_job.config import Settings
from etl_job.errors import EtlError

EXIT_BAD_INPUT = 2
Handler = Callable[[argparse.Namespace], int]


class SettingsError(EtlError):
    """A setting is missing or not valid."""


def load_settings() -> Settings:
    """Settings from the environment, with one readable sentence when one is missing or bad."""
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            if error["type"] == "missing":
                problems.append(f"setting {name} is required (set the environment variable)")
            else:
                problems.append(f"setting {name}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None


def run_catalog(_: argparse.Namespace) -> int:
    """`etl-job run`: the catalog and ratings step."""
    from etl_job.pipeline import build_catalog  # Polars loads only when a step runs

    settings = load_settings()
    run_dir = build_catalog(data_dir=settings.data_dir, output_dir=settings.output_dir,
                            keep_runs=settings.keep_runs)
    print(f"etl-job: catalog run written to {run_dir} (now current)")
    return 0


COMMANDS: dict[str, tuple[str, Handler]] = {
    "run": ("clean the catalogs and ratings from DATA_DIR into a new run in OUTPUT_DIR",
            run_catalog),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etl-job", description="Batch steps of the recommendation platform. "
        "Settings come from the environment: DATA_DIR, OUTPUT_DIR, KEEP_RUNS.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, handler) in COMMANDS.items():
        commands.add_parser(name, help=help_text, description=help_text).set_defaults(
            handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; bad input exits 2 with one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except EtlError as exc:
        print(f"etl-job: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"etl-job: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
