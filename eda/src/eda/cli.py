"""The `eda` command: `eda --run-dir var/etl/current --out reports [--gateway-url URL]`."""

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from eda.data import RunMissing


def build_parser() -> argparse.ArgumentParser:
    output_dir = os.environ.get("OUTPUT_DIR") or "var/etl"
    parser = argparse.ArgumentParser(
        prog="eda",
        description="Write the exploratory data analysis report of one ETL run: "
        "an HTML file with every figure inlined, and the figures as PNG beside it.",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=Path(output_dir) / "current",
        help="ETL run directory (default: $OUTPUT_DIR/current, else var/etl/current)",
    )
    folder = "folder for eda.html and figures/ (default: reports)"
    parser.add_argument("--out", type=Path, default=Path("reports"), help=folder)
    parser.add_argument(
        "--gateway-url",
        default=os.environ.get("GATEWAY_URL") or None,
        help="a running gateway to ask for example recommendations "
        "(default: $GATEWAY_URL; none: the evaluation table only)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 with the report's path printed, 2 when the run directory is missing."""
    args = build_parser().parse_args(argv)
    # Matplotlib loads only when a report is built, so --help stays fast.
    from eda.report import build_report

    started = time.perf_counter()
    try:
        path = build_report(run_dir=args.run_dir, out_dir=args.out, gateway_url=args.gateway_url)
    except RunMissing as exc:
        print(f"eda: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"eda: report written to {path} ({time.perf_counter() - started:.1f}s); open it in a "
        "browser, it needs no network."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
