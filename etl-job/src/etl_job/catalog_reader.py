"""Reading one platform CSV: well-formed records become a frame of strings, the rest quarantine.

Python's csv module does the splitting because it tolerates what a columnar reader refuses
(ragged rows, bytes that are not UTF-8) and tells us the line of each record; everything after
that is Polars.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from contracts.domain import Platform
from contracts.schema import RAW_CATALOG_OPTIONAL, RAW_CATALOG_REQUIRED

from etl_job.errors import InputFileMissing, RequiredColumnMissing, UnreadableInput
from etl_job.quarantine import QUARANTINE_SCHEMA

# Bytes that are not UTF-8 survive decoding as lone surrogates (errors="surrogateescape").
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
META_COLUMNS = ("platform", "source_file", "line", "raw")


@dataclass(frozen=True)
class RawCatalog:
    """One platform file split into parseable records and refused ones."""

    platform: Platform
    frame: pl.DataFrame  # source columns as String, plus META_COLUMNS
    quarantine: pl.DataFrame
    has_score: bool
    blank_lines: int


class _RawText:
    """Turns a parsed record back into one CSV line, reusing one writer for the whole file."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="")

    def __call__(self, fields: list[str], *, escape: bool = False) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(fields)
        text = self._buffer.getvalue()
        if escape:  # undecodable bytes shown as \xNN escapes
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return text


def read_header(path: Path, names: list[str]) -> list[str]:
    """Normalised column names; stops the run if a required column is missing."""
    columns = [name.strip().lstrip("\ufeff").strip().lower() for name in names]
    for required in RAW_CATALOG_REQUIRED:
        if required not in columns:
            raise RequiredColumnMissing(path, required, columns)
    return columns


def numbered_records(reader: Any) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each record with the line it starts on; one the csv module refuses comes as its error."""
    start = reader.line_num + 1
    while True:
        try:
            yield start, next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
        start = reader.line_num + 1


def read_platform_file(path: Path, platform: Platform) -> RawCatalog:
    """Split a platform file into a frame of string columns and a quarantine frame."""
    if not path.is_file():
        raise InputFileMissing(path, f"catalog file for {platform.value}")
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    file_has_bad_bytes = _NOT_UTF8.search(text) is not None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableInput(path, "it is empty, not even a header") from None
    except csv.Error as exc:
        raise UnreadableInput(path, f"its header is not CSV ({exc})") from None
    columns = read_header(path, header)
    wanted = [*RAW_CATALOG_REQUIRED, *(c for c in RAW_CATALOG_OPTIONAL if c in columns)]
    positions = [columns.index(name) for name in wanted]

    rows: list[list[str]] = []
    lines: list[int] = []
    raws: list[str] = []
    refused: list[tuple[int, str, str]] = []
    blank = 0
    raw_text = _RawText()
    for line, fields in numbered_records(reader):
        if isinstance(fields, csv.Error):
            refused.append((line, f"unparseable_row: {fields}", ""))
            continue
        if not fields:
            blank += 1
            continue
        not_utf8 = file_has_bad_bytes and any(_NOT_UTF8.search(field) for field in fields)
        raw = raw_text(fields, escape=not_utf8)
        if len(fields) != len(columns):
            reason = f"wrong_field_count: {len(fields)} fields, the header has {len(columns)}"
            refused.append((line, reason, raw))
        elif not_utf8:
            refused.append((line, "not_utf8: the row has bytes that are not valid UTF-8", raw))
        else:
            rows.append([fields[i] for i in positions])
            lines.append(line)
            raws.append(raw)

    data = {name: [row[i] for row in rows] for i, name in enumerate(wanted)}
    frame = pl.DataFrame(data, schema=dict.fromkeys(wanted, pl.String)).with_columns(
        pl.lit(platform.value).alias("platform"),
        pl.lit(path.name).alias("source_file"),
        pl.Series("line", lines, dtype=pl.Int64),
        pl.Series("raw", raws, dtype=pl.String),
    )
    rows_refused = [(path.name, *row) for row in refused]
    quarantine = pl.DataFrame(rows_refused, schema=QUARANTINE_SCHEMA, orient="row")
    return RawCatalog(platform, frame, quarantine, has_score="score" in wanted, blank_lines=blank)
