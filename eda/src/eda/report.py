"""Build the whole report from one ETL run: load, compute every section, write HTML + PNGs."""

from pathlib import Path

import httpx

from eda.data import load_run
from eda.model import Section
from eda.render import write_report
from eda.sections.content import content_section
from eda.sections.platforms import platform_section
from eda.sections.quality import quality_section
from eda.sections.ratings import ratings_section
from eda.sections.recommender import recommender_section
from eda.sections.score import score_section


def build_report(
    *,
    run_dir: Path,
    out_dir: Path,
    gateway_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Path:
    """Write out_dir/eda.html (figures inlined) and out_dir/figures/*.png; return the HTML path."""
    run = load_run(run_dir)
    sections: list[Section] = [
        platform_section(run),
        content_section(run),
        score_section(run),
        ratings_section(run),
        quality_section(run),
        recommender_section(run, gateway_url=gateway_url, transport=transport),
    ]
    run_dir = Path(run_dir).resolve()
    return write_report(
        sections=sections,
        out_dir=out_dir,
        run_id=str(run.manifest.get("run_id", run_dir.name)),
        run_dir=run_dir,
    )
