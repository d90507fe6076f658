"""Matplotlib without pyplot: one Figure object per chart, rendered by Agg to PNG bytes, offline."""

import io
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import MaxNLocator

from eda.data import PLATFORMS

# One colour per platform, the same in every chart (colour-blind-safe Okabe-Ito hues).
PLATFORM_COLOURS = {
    "amazon": "#0072B2",
    "disney": "#009E73",
    "hulu": "#E69F00",
    "netflix": "#D55E00",
}
NEUTRAL = "#555555"


def new_figure(
    *, width: float = 8.0, height: float = 4.0, panels: int = 1
) -> tuple[MplFigure, list[Axes]]:
    """A figure with `panels` side-by-side axes; pyplot's global state is never touched."""
    figure = MplFigure(figsize=(width, height), layout="constrained")
    return figure, list(figure.subplots(1, panels, squeeze=False)[0])


def per_platform_figure() -> tuple[MplFigure, dict[str, Axes]]:
    """A 2x2 grid with one panel per platform, titled."""
    figure = MplFigure(figsize=(9, 6.0), layout="constrained")
    grid = figure.subplots(2, 2, sharex=True, squeeze=False)
    panels = {platform: grid[i // 2][i % 2] for i, platform in enumerate(PLATFORMS)}
    for platform, axes in panels.items():
        axes.set_title(platform)
    return figure, panels


def integer_x(axes: Axes) -> None:
    """Ticks on whole numbers only (years, counts)."""
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def heatmap(
    axes: Axes,
    matrix: list[list[float]],
    rows: Sequence[str],
    *,
    cmap: str,
    label: str,
    vmax: float | None = None,
) -> None:
    """A coloured grid (rows x platforms) with each cell's value written in it, and a colour bar."""
    image = axes.imshow(matrix, aspect="auto", cmap=cmap, vmin=0 if vmax else None, vmax=vmax)
    axes.set_xticks(range(len(PLATFORMS)), PLATFORMS)
    axes.set_yticks(range(len(rows)), rows)
    dark = 0.6 * (vmax or max(map(max, matrix)))  # white text from here up stays readable
    for row, values in enumerate(matrix):
        for column, value in enumerate(values):
            colour = "white" if value > dark else "black"
            axes.text(
                column, row, f"{value:.0f}", ha="center", va="center", fontsize=7, color=colour
            )
    axes.figure.colorbar(image, ax=axes, label=label)


def grouped_bars(
    axes: Axes, groups: Sequence[str], series: dict[str, tuple[list[float], str]], *, fmt: str
) -> None:
    """Bars side by side per group, one series (values, colour) each, labelled with `fmt`."""
    width = 0.8 / len(series)
    for offset, (name, (values, colour)) in enumerate(series.items()):
        positions = [i + (offset - (len(series) - 1) / 2) * width for i in range(len(groups))]
        axes.bar_label(
            axes.bar(positions, values, width, label=name, color=colour), fmt=fmt, fontsize=8
        )
    axes.set_xticks(range(len(groups)), groups)
    axes.legend()


def png_bytes(figure: MplFigure) -> bytes:
    """The figure rendered as PNG (100 dpi keeps the inlined report small)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def no_data(axes: Axes, message: str = "no data") -> None:
    """Say so inside an empty panel instead of leaving it blank."""
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes, color=NEUTRAL)
    axes.set_xticks([])
    axes.set_yticks([])


def barh_counts(axes: Axes, labels: Sequence[str], values: Sequence[float]) -> None:
    """Horizontal bars, largest on top, each labelled with its value."""
    if not labels:
        no_data(axes)
        return
    positions = list(range(len(labels)))
    bars = axes.barh(positions, list(values), color=NEUTRAL)
    axes.bar_label(bars, fmt=" {:,.0f}", fontsize=8)
    axes.set_yticks(positions, [_shorten(label) for label in labels])
    axes.invert_yaxis()
    axes.set_xlabel("titles")


def _shorten(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
