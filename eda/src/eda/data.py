"""The ETL run the report reads: catalog and ratings parquet and the run manifest."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW, Platform
from contracts.schema import CATALOG_FILE, MANIFEST_FILE, RATINGS_FILE

PLATFORMS = [platform.value for platform in Platform]
MOVIE = CATALOG_TYPE_MOVIE
SHOW = CATALOG_TYPE_SHOW


class RunMissing(RuntimeError):
    """The run directory or one of its files is not there."""


@dataclass(frozen=True)
class RunData:
    """One ETL run's outputs, loaded once; every section reads from here."""

    catalog: pl.DataFrame
    ratings: pl.DataFrame
    manifest: dict[str, Any]

    @property
    def movies(self) -> pl.DataFrame:
        return self.catalog.filter(pl.col("type") == MOVIE)

    @property
    def shows(self) -> pl.DataFrame:
        return self.catalog.filter(pl.col("type") == SHOW)


def load_run(run_dir: Path) -> RunData:
    """Read the run's three files; a missing one raises RunMissing naming it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunMissing(
            f"ETL run directory {run_dir} does not exist: run `make etl` (or "
            "`make up`) first, or pass --run-dir."
        )
    paths = {name: run_dir / name for name in (CATALOG_FILE, RATINGS_FILE, MANIFEST_FILE)}
    for name, path in paths.items():
        if not path.is_file():
            raise RunMissing(f"{name} is missing from {run_dir}: is it an ETL run directory?")
    manifest = json.loads(paths[MANIFEST_FILE].read_text(encoding="utf-8"))
    return RunData(
        pl.read_parquet(paths[CATALOG_FILE]), pl.read_parquet(paths[RATINGS_FILE]), manifest
    )


def list_items(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per (title, item) of a comma-separated list column, items trimmed, empties gone."""
    return (
        frame.select("id", "platform", "type", pl.col(column).str.split(",").alias("item"))
        .explode("item")
        .with_columns(pl.col("item").str.strip_chars())
        .filter(pl.col("item").is_not_null() & (pl.col("item") != ""))
    )


def top_items(frame: pl.DataFrame, column: str, n: int) -> pl.DataFrame:
    """The `n` items named in most titles (item, titles), ties broken alphabetically."""
    return (
        list_items(frame, column)
        .group_by("item")
        .agg(titles=pl.col("id").n_unique())
        .sort(["titles", "item"], descending=[True, False])
        .head(n)
    )


def counts(frame: pl.DataFrame, *by: str) -> dict[Any, int]:
    """Rows per value of `by`: keyed by the value for one column, by a tuple for several."""
    return {
        row[0] if len(by) == 1 else row[:-1]: row[-1]
        for row in frame.group_by(*by).len().iter_rows()
    }


def top_per_platform(frame: pl.DataFrame, column: str, n: int = 1) -> pl.DataFrame:
    """(platform, value, len): each platform's `n` most common values, ties alphabetically."""
    return (
        frame.group_by("platform", column)
        .len()
        .sort(["len", column], descending=[True, False])
        .group_by("platform", maintain_order=True)
        .head(n)
        .sort("platform", maintain_order=True)
    )


def share(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, or 'n/a' when there is nothing to divide."""
    return f"{100 * part / whole:.1f}%" if whole else "n/a"
