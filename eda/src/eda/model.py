"""What a report is made of: sections holding figures (PNG + caption + finding) and tables."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One chart: `slug` names its PNG file, `finding` is one sentence computed from the data."""

    slug: str
    title: str
    caption: str
    finding: str
    png: bytes


@dataclass(frozen=True)
class Table:
    """A small table shown as is; cells are already formatted for reading."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Section:
    """One part of the report, in reading order: intro, notes, figures, then tables."""

    slug: str
    title: str
    intro: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
