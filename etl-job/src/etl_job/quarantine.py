"""The quarantine file: every row the ETL refused, with where it came from and why."""

from pathlib import Path

import polars as pl

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "line": pl.Int64(),
    "reason": pl.String(),
    "raw": pl.String(),
}


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame with no rows."""
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def reason_code(reason: pl.Expr) -> pl.Expr:
    """The machine-readable part of a reason: 'bad_type: ...' -> 'bad_type'."""
    return reason.str.split(":").list.first()


def count_by_reason(quarantine: pl.DataFrame) -> dict[str, int]:
    """Rows per reason code, most frequent first."""
    counts = (
        quarantine.group_by(reason_code(pl.col("reason")).alias("code"))
        .len()
        .sort(["len", "code"], descending=[True, False])
    )
    return dict(zip(counts["code"].to_list(), counts["len"].to_list(), strict=True))


def write_quarantine(frames: list[pl.DataFrame], path: Path) -> int:
    """Write every refused row to one CSV; returns the number of rows."""
    columns = [pl.col(name).cast(dtype) for name, dtype in QUARANTINE_SCHEMA.items()]
    combined = pl.concat([frame.select(columns) for frame in [empty_quarantine(), *frames]])
    combined.write_csv(path)
    return combined.height
