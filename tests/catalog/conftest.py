"""Fixtures of the catalog tests: hand-written catalog frames, written as an ETL run."""

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from contracts.frames import CATALOG_SCHEMA
from contracts.schema import CATALOG_FILE, MANIFEST_FILE


def catalog_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A frame in exactly the CATALOG_COLUMNS layout; columns left out get plain defaults."""
    full = []
    for row in rows:
        platform = row.get("platform", "netflix")
        show_id = row.get("show_id", row["id"][1:] if "id" in row else "s0")
        full.append({
            "id": row.get("id", f"{platform[0]}{show_id}"),
            "platform": platform,
            "show_id": show_id,
            "type": "movie",
            "title": "untitled",
            "director": None,
            "cast": None,
            "country": None,
            "date_added": datetime.date(2021, 1, 1),
            "release_year": 2020,
            "rating": "g",
            "duration_int": 90,
            "duration_type": "min",
            "listed_in": "dramas",
            "description": "a film.",
            "score": 50,
            "score_source": "file",
            "rating_count": 0,
            "avg_rating": None,
            "display_title": None, "display_director": None, "display_cast": None,
            "display_listed_in": None, "display_description": None,
            **row,
        })
    return pl.DataFrame(full, schema=CATALOG_SCHEMA)


def write_catalog(directory: Path, frame: pl.DataFrame, run_id: str = "test-run") -> Path:
    """Write frame + manifest the way the ETL lays out a run directory; returns the parquet path."""
    directory.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(directory / CATALOG_FILE)
    (directory / MANIFEST_FILE).write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    return directory / CATALOG_FILE


@pytest.fixture(scope="session")
def make_frame() -> Callable[[list[dict[str, Any]]], pl.DataFrame]:
    return catalog_frame


@pytest.fixture(scope="session")
def write_run() -> Callable[..., Path]:
    return write_catalog
