"""EDA test fixtures: the report rendered once on the sample ETL run, and its HTML parsed."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest


@dataclass
class ParsedFigure:
    slug: str
    section: str
    img_src: str = ""
    caption: str = ""
    finding: str = ""


@dataclass
class ParsedReport:
    """What the report's HTML holds, by the data-* attributes the template writes."""

    sections: list[str] = field(default_factory=list)
    figures: dict[str, ParsedFigure] = field(default_factory=dict)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    table_sections: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class ReportParser(HTMLParser):
    """Collects sections, figures (image, caption, finding), table cells and notes."""

    def __init__(self) -> None:
        super().__init__()
        self.report = ParsedReport()
        self._section = ""
        self._figure: ParsedFigure | None = None
        self._table: list[list[str]] | None = None
        self._capture: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self._section = attributes.get("data-section") or ""
            self.report.sections.append(self._section)
        elif tag == "figure":
            self._figure = ParsedFigure(slug=attributes.get("data-figure") or "",
                                        section=self._section)
            self.report.figures[self._figure.slug] = self._figure
        elif tag == "img" and self._figure is not None:
            self._figure.img_src = attributes.get("src") or ""
        elif tag == "figcaption" or (tag == "p" and attributes.get("class") == "note"):
            self._start_capture("caption" if tag == "figcaption" else "note")
        elif tag == "p" and attributes.get("class") == "finding":
            self._flush()
            self._start_capture("finding")
        elif tag == "table":
            self._table = []
            slug = attributes.get("data-table") or ""
            self.report.tables[slug] = self._table
            self.report.table_sections[slug] = self._section
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._start_capture("cell")

    def _start_capture(self, what: str) -> None:
        self._capture, self._text = what, []

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if self._capture == "caption" and self._figure is not None:
            self._figure.caption = text
        elif self._capture == "finding" and self._figure is not None:
            self._figure.finding = text.removeprefix("Finding: ")
        elif self._capture == "note":
            self.report.notes.append(text)
        elif self._capture == "cell" and self._table:
            self._table[-1].append(text)
        self._capture, self._text = None, []

    def handle_endtag(self, tag: str) -> None:
        closes = tag in ("figcaption", "td", "th") or (
            tag == "p" and self._capture in ("note", "finding"))
        if closes and self._capture is not None:
            self._flush()
        if tag == "figure":
            self._figure = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._text.append(data)


def parse_report(html: str) -> ParsedReport:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser.report


@pytest.fixture(scope="session")
def sample_report(sample_catalog_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """reports/eda.html built from the sample ETL run, no gateway."""
    from eda.report import build_report

    return build_report(run_dir=sample_catalog_dir, out_dir=tmp_path_factory.mktemp("eda"))


@pytest.fixture(scope="session")
def parsed_sample(sample_report: Path) -> ParsedReport:
    return parse_report(sample_report.read_text(encoding="utf-8"))
