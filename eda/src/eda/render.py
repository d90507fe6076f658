"""Write the report: one self-contained HTML file (figures inlined) and the figures as PNG."""

import base64
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from eda.model import Section

REPORT_FILE = "eda.html"
FIGURE_DIR = "figures"


def write_report(
    *,
    sections: list[Section],
    out_dir: Path,
    run_id: str,
    run_dir: Path,
) -> Path:
    """Render the sections into out_dir/eda.html and out_dir/figures/<slug>.png; return the HTML."""
    out_dir = Path(out_dir)
    figure_dir = out_dir / FIGURE_DIR
    figure_dir.mkdir(parents=True, exist_ok=True)
    images: dict[str, str] = {}
    for section in sections:
        for figure in section.figures:
            if figure.slug in images:
                raise ValueError(f"two figures share the slug {figure.slug!r}")
            (figure_dir / f"{figure.slug}.png").write_bytes(figure.png)
            images[figure.slug] = base64.b64encode(figure.png).decode("ascii")
    environment = Environment(
        loader=PackageLoader("eda"), autoescape=select_autoescape(), keep_trailing_newline=True
    )
    html = environment.get_template("report.html.j2").render(
        title="Streaming catalogs: exploratory data analysis",
        sections=sections,
        images=images,
        figure_dir=FIGURE_DIR,
        run_id=run_id,
        run_dir=str(run_dir),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = out_dir / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    return path
