"""The evaluation table of docs/recommender.md, written from a run manifest, never by hand."""

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from etl_job.recommender.report import markdown_table

README_START = "<!-- evaluation-table:start -->"
README_END = "<!-- evaluation-table:end -->"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m etl_job.recommender.readme_table MANIFEST [--readme docs/recommender.md]`."""
    parser = argparse.ArgumentParser(
        description="The evaluation table of a run's manifest, "
        "as markdown (printed, or put between a page's markers)."
    )
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--readme", type=Path, help="rewrite the table between its markers")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
        evaluation = manifest["evaluation"]
    except (OSError, ValueError, KeyError) as exc:
        print(
            f"report: error: {args.manifest} has no readable evaluation section ({exc!r})",
            file=sys.stderr,
        )
        return 2
    table = markdown_table(evaluation, source=f"run `{manifest.get('run_id', '?')}`")
    if not args.readme:
        print(table)
        return 0
    text = args.readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{args.readme} has no {README_START} ... {README_END} markers")
    replaced = pattern.sub(lambda _: f"{README_START}\n{table}\n{README_END}", text)
    args.readme.write_text(replaced, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
