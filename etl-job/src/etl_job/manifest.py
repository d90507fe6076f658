"""The run manifest: what went in, what came out, and every fix and rejection counted."""

import hashlib
import json
from pathlib import Path
from typing import Any

import polars as pl

FIX_DESCRIPTIONS = {
    "duration_moved_from_rating": "duration found in the rating column with an empty duration: "
    "moved to duration, rating set to g",
    "null_rating_to_g": "empty maturity rating set to g",
    "whitespace_trimmed": "text cells with stray spaces trimmed (list items included)",
    "date_unparseable": "date_added that is not 'Month D, YYYY' (year 1900-2100) set to null",
    "date_missing": "date_added empty, left null",
    "duration_unparseable": "duration that is not 'N min' / 'N season(s)' left null",
    "score_invalid": "score that is not an integer 0-100 set to null",
    "score_derived_from_ratings": "score computed as mean user rating x 20 (no score column)",
    "duplicate_ids": "later rows of an id already seen, sent to quarantine",
    "names_without_letters": "director/cast items with no letter at all (such as '1') removed",
    "placeholder_titles": "platform test entries flagged by the written rule "
    "(etl_job.transform.is_placeholder: '1c'/'onboarding'/'act N - title N'/"
    "test titles, or a test/template description): kept in the catalog, "
    "never recommended, no neighbours",
}


def describe_files(paths: list[Path], root: Path) -> list[dict[str, Any]]:
    """Path relative to root, size in bytes and sha256 of each file."""
    described = []
    for path in paths:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        relative, size = path.relative_to(root).as_posix(), path.stat().st_size
        described.append({"path": relative, "bytes": size, "sha256": digest})
    return described


def rows_per_platform(catalog: pl.DataFrame) -> dict[str, dict[str, int]]:
    """{platform: {type: rows, ..., "total": rows}}."""
    counts = catalog.group_by("platform", "type").len().sort("platform", "type")
    table: dict[str, dict[str, int]] = {}
    for platform, kind, rows in counts.iter_rows():
        table.setdefault(platform, {})[kind] = rows
    for entry in table.values():
        entry["total"] = sum(entry.values())
    return table


def fix_table(per_platform: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """{fix: {"total", "by_platform", "description"}} from {platform: {fix: count}}."""
    table: dict[str, dict[str, Any]] = {}
    for fix, description in FIX_DESCRIPTIONS.items():
        by_platform = {p: counts.get(fix, 0) for p, counts in per_platform.items()}
        table[fix] = {
            "total": sum(by_platform.values()),
            "by_platform": by_platform,
            "description": description,
        }
    return table


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
