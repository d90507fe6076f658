"""The data-quality fixes and rejections the ETL counted, read from its manifest."""

from typing import Any

from eda.data import PLATFORMS, RunData
from eda.model import Section, Table


def quality_section(run: RunData) -> Section:
    """Tables of the manifest's fixes and rejections; nothing is recomputed here."""
    manifest = run.manifest
    section = Section(
        slug="quality",
        title="Data-quality fixes applied by the ETL",
        intro=f"From the manifest of ETL run {manifest.get('run_id', '?')} "
        f"(created {manifest.get('created_at', '?')}): every fix is counted "
        "per platform, every refused row is in quarantine.csv.",
    )
    fixes: dict[str, dict[str, Any]] = manifest.get("fixes") or {}
    if fixes:
        ordered = sorted(fixes.items(), key=lambda item: (-int(item[1].get("total", 0)), item[0]))
        rows = [
            [
                name,
                entry.get("description", ""),
                *[f"{entry.get('by_platform', {}).get(p, 0):,}" for p in PLATFORMS],
                f"{entry.get('total', 0):,}",
            ]
            for name, entry in ordered
        ]
        section.tables.append(
            Table("fixes", "Fixes applied", ["fix", "what was done", *PLATFORMS, "total"], rows)
        )
    else:
        section.notes.append("This manifest records no fixes table.")
    rejections: dict[str, dict[str, Any]] = manifest.get("rejections") or {}
    rows = [
        [source, reason, f"{count:,}"]
        for source, entry in rejections.items()
        for reason, count in sorted(
            (entry.get("by_reason") or {}).items(), key=lambda item: (-item[1], item[0])
        )
    ]
    section.tables.append(
        Table(
            "rejections",
            "Rows refused (sent to quarantine)",
            ["input", "reason", "rows"],
            rows,
            note="; ".join(
                f"{source}: {entry.get('total', 0):,} rows" for source, entry in rejections.items()
            )
            or "No rejections recorded.",
        )
    )
    if manifest.get("score_note"):
        section.notes.append(f"Score source: {manifest['score_note']}")
    return section
