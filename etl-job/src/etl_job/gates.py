"""Publication gates: a run that read truncated input or shrank too much is never published.

Two kinds of gate, each recording its figures for the manifest:
- structure, before any work: every catalog file has data rows and its last record is whole
  (no quoted field left open at the end of the file, as many fields as the header); every
  ratings file has a data row and a last line with the header's field count;
- shrink, against the current run's manifest: rows per platform and type, ratings kept and
  movies with neighbours may not fall by more than `max_shrink` (a share), and each
  platform's rows by more than the tighter `max_platform_shrink`, unless accepted;
- vanished movies, against the current run's catalog: the ratings refused because they name a
  movie the previous run had and this one lacks may be at most `max_vanished_share` of the
  rating lines read, unless accepted (a catalog file cut at a row boundary looks whole).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.schema import CATALOG_FILE, CURRENT_LINK, MANIFEST_FILE

from etl_job.errors import EtlError

if TYPE_CHECKING:  # the CLI imports this module; Polars loads only when a step runs
    import polars as pl

    from etl_job.ratings import Ratings

DEFAULT_MAX_SHRINK = 0.10
# A platform's catalog rarely loses more than a few titles between runs; 5% of one is what a
# file cut at a row boundary looks like, below the global 10%.
DEFAULT_MAX_PLATFORM_SHRINK = 0.02
DEFAULT_MAX_VANISHED_SHARE = 0.01
PLATFORM_FIGURE = "catalog rows of platform "
# A ratings file's last line is looked for in this many bytes at its end (lines are ~30 bytes).
_TAIL_BYTES = 64 * 1024


class TruncatedInput(EtlError):
    """An input file is empty of rows or ends in the middle of a record."""


class ShrinkRefused(EtlError):
    """A figure of the new run fell by more than the allowed share of the previous run's."""


def catalog_file_structure(path: Path) -> dict[str, Any]:
    """Data rows and the state of the last record of one catalog CSV; raises when truncated.

    Parsed with `strict=True` only to notice a quoted field still open at the end of the
    file, which the lenient reader the ETL uses would silently close.
    """
    # catalog_reader loads Polars, which the CLI defers
    from etl_job.catalog_reader import numbered_records, read_header

    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows = 0
    last: tuple[int, int | None, str | None] | None = None  # (line, fields, csv error)
    for line, fields in numbered_records(reader):
        if isinstance(fields, csv.Error):
            last = (line, None, str(fields))
            continue
        if not fields:
            continue
        if header is None:
            header = read_header(path, fields)  # a missing column is named as such first
            continue
        rows += 1
        last = (line, len(fields), None)
    if header is None or last is None:
        raise TruncatedInput(f"{path} has no data rows (a header at most); refusing to publish")
    line, fields_found, error = last
    if error is not None and "unexpected end of data" in error:
        raise TruncatedInput(
            f"{path} is truncated: the record at line {line} opens a quoted "
            "field the file never closes"
        )
    if fields_found is not None and fields_found != len(header):
        raise TruncatedInput(
            f"{path} is truncated: its last record (line {line}) has "
            f"{fields_found} fields, the header has {len(header)}"
        )
    return {"rows": rows, "last_record_line": line, "fields": len(header)}


def ratings_file_structure(path: Path) -> dict[str, Any]:
    """The last line of a ratings file has the header's field count (only its tail is read)."""
    with path.open("rb") as handle:
        header_fields = len(next(csv.reader([handle.readline().decode("utf-8", "replace")]), []))
        body_start = handle.tell()
        size = handle.seek(0, io.SEEK_END)
        handle.seek(max(body_start, size - _TAIL_BYTES))
        tail = handle.read().decode("utf-8", "replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        raise TruncatedInput(f"{path} has no data rows (a header at most); refusing to publish")
    fields = len(next(csv.reader([lines[-1]])))
    if fields != header_fields:
        raise TruncatedInput(
            f"{path} is truncated: its last line has {fields} fields, the "
            f"header has {header_fields}"
        )
    return {"bytes": size, "last_line_fields": fields}


def data_figures(*, catalog: pl.DataFrame, ratings_kept: int) -> dict[str, int]:
    """The figures compared run to run: rows per platform and type, and ratings kept."""
    counts = catalog.group_by("platform", "type").len().sort("platform", "type")
    figures = {
        f"catalog rows {platform} {kind}": rows for platform, kind, rows in counts.iter_rows()
    }
    for platform, rows in catalog.group_by("platform").len().iter_rows():
        figures[f"{PLATFORM_FIGURE}{platform}"] = rows
    figures["ratings kept"] = ratings_kept
    return figures


def manifest_figures(manifest: dict[str, Any]) -> dict[str, int]:
    """The same figures as recorded by an earlier run's manifest."""
    by_platform = manifest.get("rows", {}).get("catalog_by_platform", {})
    figures = {
        f"catalog rows {platform} {kind}": rows
        for platform, kinds in by_platform.items()
        for kind, rows in kinds.items()
        if kind != "total"
    }
    for platform, kinds in by_platform.items():
        if "total" in kinds:
            figures[f"{PLATFORM_FIGURE}{platform}"] = kinds["total"]
    ratings = manifest.get("rows", {}).get("ratings")
    if ratings is not None:
        figures["ratings kept"] = ratings
    movies = manifest.get("model", {}).get("movies")
    if movies is not None:
        figures["movies with neighbours"] = movies
    return figures


@dataclass
class PublicationGates:
    """The gates of one run; `report()` is what the manifest records under "gates"."""

    previous: dict[str, Any] | None = None
    max_shrink: float = DEFAULT_MAX_SHRINK
    accept_shrink: bool = False
    max_platform_shrink: float = DEFAULT_MAX_PLATFORM_SHRINK
    max_vanished_share: float = DEFAULT_MAX_VANISHED_SHARE
    # The previous run's catalog, whose ids tell a vanished movie from one never known.
    previous_catalog: Path | None = None
    _structure: dict[str, Any] = field(default_factory=dict)
    _shrink: dict[str, dict[str, Any]] = field(default_factory=dict)
    _vanished: dict[str, Any] = field(default_factory=dict)

    def against(self, output_dir: Path) -> PublicationGates:
        """These limits, compared with the run `current` names in output_dir."""
        current = Path(output_dir) / CURRENT_LINK
        manifest, catalog = current / MANIFEST_FILE, current / CATALOG_FILE
        previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else None
        # Only a committed run (one with its manifest) is compared with: a folder `current`
        # names without one is a broken run, and its catalog may not even be parquet.
        found = catalog if previous and catalog.is_file() else None
        return replace(self, previous=previous, previous_catalog=found)

    def check_inputs(self, catalogs: list[Path], ratings: list[Path]) -> None:
        """Structure gate over every input file, before the run does any work."""
        for path in catalogs:
            self._structure[path.name] = catalog_file_structure(path)
        for path in ratings:
            self._structure[f"{path.parent.name}/{path.name}"] = ratings_file_structure(path)

    def check_data(self, *, catalog: pl.DataFrame, ratings: Ratings) -> None:
        """Shrink and vanished-movie gates over the catalog and ratings, before the model is
        trained or published; both are checked, then one refusal names every figure."""
        # A platform and type the previous run had and this one lacks fell to 0.
        refusals = self._compare(
            data_figures(catalog=catalog, ratings_kept=ratings.kept), vanished="catalog rows"
        )
        refusals += self._vanished_movies(ratings)
        self._refuse(refusals)

    def _vanished_movies(self, ratings: Ratings) -> list[str]:
        """The ratings refused because their movie was in the previous catalog, as a share."""
        if self.previous_catalog is None:
            return []
        import polars as pl

        known_before = pl.read_parquet(self.previous_catalog, columns=["id"])["id"]
        unknown = ratings.unknown_movies
        vanished = unknown.filter(unknown.is_in(known_before.implode()))
        share = vanished.len() / ratings.read if ratings.read else 0.0
        self._vanished = {
            "ratings": vanished.len(),
            "movies": vanished.n_unique(),
            "ratings_read": ratings.read,
            "share": round(share, 4),
            "max_share": self.max_vanished_share,
        }
        if share <= self.max_vanished_share:
            return []
        return [
            f"{vanished.len():,} ratings ({share:.1%} of {ratings.read:,} read) name "
            f"{vanished.n_unique():,} movies the previous run had and this one lacks "
            f"beyond the {self.max_vanished_share:.0%} allowed"
        ]

    def check_model(self, neighbours: pl.DataFrame) -> None:
        """Shrink gate over the movies that got neighbours, before they are published."""
        self._refuse(self._compare({"movies with neighbours": neighbours["movie_id"].n_unique()}))

    def _compare(self, now: dict[str, int], vanished: str | None = None) -> list[str]:
        before = manifest_figures(self.previous) if self.previous else {}
        gone = {name for name in before if vanished and name.startswith(vanished)}
        shrunk = []
        for name in sorted(set(now) | gone):
            previous, current = before.get(name), now.get(name, 0)
            change = (current - previous) / previous if previous else None
            limit = (
                self.max_platform_shrink if name.startswith(PLATFORM_FIGURE) else self.max_shrink
            )
            self._shrink[name] = {
                "previous": previous,
                "now": current,
                "change": None if change is None else round(change, 4),
                "max_shrink": limit,
            }
            if change is not None and -change > limit:
                shrunk.append(
                    f"{name} {previous} -> {current} ({change:+.1%}) beyond the {limit:.0%} allowed"
                )
        return shrunk

    def _refuse(self, refusals: list[str]) -> None:
        if refusals and not self.accept_shrink:
            raise ShrinkRefused(
                f"refusing to publish: {'; '.join(refusals)}, against run "
                f"{self.previous.get('run_id') if self.previous else None}; if intended, run "
                "again with --accept-shrink (or ACCEPT_SHRINK=true)"
            )

    def report(self) -> dict[str, Any]:
        """Each gate's figures, for the manifest."""
        return {
            "structure": self._structure,
            "shrink": {
                "previous_run": self.previous.get("run_id") if self.previous else None,
                "max_shrink": self.max_shrink,
                "max_platform_shrink": self.max_platform_shrink,
                "accepted": self.accept_shrink,
                "figures": self._shrink,
            },
            "vanished_movies": {**self._vanished, "accepted": self.accept_shrink},
        }
