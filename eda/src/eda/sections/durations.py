"""Durations: minutes of movies and seasons of shows, outliers marked and listed."""

import polars as pl

from eda.data import PLATFORMS, RunData, counts, share
from eda.model import Figure, Table
from eda.plots import PLATFORM_COLOURS, new_figure, no_data, png_bytes

LISTED = 10
IQR_FENCE = 1.5  # Tukey's fences: the usual rule of thumb for "far from the middle half"


def _boxplots(frame: pl.DataFrame, unit: str) -> tuple[bytes, int]:
    """Horizontal box plot per platform; (png, outliers: matplotlib's fliers, past the fences)."""
    figure, (axes,) = new_figure(height=3.4)
    data = {p: frame.filter(pl.col("platform") == p)["duration_int"].to_list() for p in PLATFORMS}
    data = {platform: values for platform, values in data.items() if values}
    if not data:
        no_data(axes, f"no durations in {unit}")
        return png_bytes(figure), 0
    boxes = axes.boxplot(
        list(data.values()),
        orientation="horizontal",
        tick_labels=list(data),
        patch_artist=True,
        whis=IQR_FENCE,
        flierprops={"marker": "x", "markersize": 4, "alpha": 0.6, "markeredgecolor": "#aa0000"},
    )
    for patch, platform in zip(boxes["boxes"], data, strict=True):
        patch.set_facecolor(PLATFORM_COLOURS[platform])
        patch.set_alpha(0.6)
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    return png_bytes(figure), sum(len(fliers.get_xdata()) for fliers in boxes["fliers"])


def duration_figures(run: RunData) -> list[Figure]:
    """Box plots of movie minutes and show seasons."""
    minutes = run.movies.filter(pl.col("duration_type") == "min")
    png, outliers = _boxplots(minutes, "minutes")
    measured = minutes.height
    finding = (
        f"{outliers:,} of {measured:,} movies ({share(outliers, measured)}) lie outside "
        f"the {IQR_FENCE} x IQR fences of their platform"
    )
    if measured:
        longest = minutes.sort("duration_int", "id", descending=[True, False]).row(0, named=True)
        finding += (
            f"; the longest is '{longest['title']}' ({longest['duration_int']} min, "
            f"{longest['platform']})"
        )
        positive = minutes.filter(pl.col("duration_int") > 0)
        if positive.height:
            shortest = positive.sort("duration_int", "id").row(0, named=True)
            finding += (
                f", the shortest above zero '{shortest['title']}' "
                f"({shortest['duration_int']} min, {shortest['platform']})"
            )
        zero = minutes.height - positive.height
        if zero:
            finding += f"; {zero:,} movies last 0 minutes (listed below)"
    movie_figure = Figure(
        slug="movie_minutes",
        title="Movie durations (minutes)",
        caption="Minutes of every movie measured in minutes, per platform; boxes span the middle "
        "half, whiskers reach 1.5 IQR, crosses are the outliers listed below.",
        finding=finding + ".",
        png=png,
    )

    seasons = run.shows.filter(pl.col("duration_type") == "season")
    png, outliers = _boxplots(seasons, "seasons")
    measured = seasons.height
    finding = f"{outliers:,} of {measured:,} tv shows ({share(outliers, measured)}) are outliers"
    if measured:
        medians = seasons.group_by("platform").agg(pl.col("duration_int").median()).sort("platform")
        longest = seasons.sort("duration_int", "id", descending=[True, False]).row(0, named=True)
        finding += (
            "; median seasons "
            + ", ".join(f"{p} {m:g}" for p, m in medians.iter_rows())
            + f"; the longest-running is '{longest['title']}' "
            f"({counted(longest['duration_int'], 'season')}, {longest['platform']})"
        )
    show_figure = Figure(
        slug="show_seasons",
        title="TV show durations (seasons)",
        caption="Seasons of every tv show per platform, same box-plot conventions.",
        finding=finding + ".",
        png=png,
    )
    return [movie_figure, show_figure]


def counted(number: int | None, unit: str) -> str:
    """'1 season', '2 seasons'; minutes stay 'min' whatever the number; None is 'missing'."""
    if number is None:
        return "missing"
    return f"{number} {unit}" if number == 1 or unit == "min" else f"{number} {unit}s"


def _title_rows(frame: pl.DataFrame, unit: str) -> list[list[object]]:
    return [
        [r["id"], r["title"], r["platform"], r["release_year"], counted(r["duration_int"], unit)]
        for r in frame.iter_rows(named=True)
    ]


def duration_tables(run: RunData) -> list[Table]:
    """The longest and shortest movies, the zero or missing durations, movies in seasons."""
    columns = ["id", "title", "platform", "release year", "duration"]
    minutes = run.movies.filter(pl.col("duration_type") == "min")
    by_length = minutes.sort("duration_int", "id", descending=[True, False])
    missing = run.movies.filter(pl.col("duration_int").is_null() | (pl.col("duration_int") == 0))
    in_seasons = run.movies.filter(pl.col("duration_type") == "season")
    longest_shows = run.shows.filter(pl.col("duration_type") == "season").sort(
        "duration_int", "id", descending=[True, False]
    )

    def per_platform(frame: pl.DataFrame) -> str:
        titles = counts(frame, "platform")
        return ", ".join(f"{p} {titles.get(p, 0)}" for p in PLATFORMS)

    return [
        Table(
            "longest_movies",
            f"The {LISTED} longest movies",
            columns,
            _title_rows(by_length.head(LISTED), "min"),
        ),
        Table(
            "shortest_movies",
            f"The {LISTED} shortest movies (above zero minutes)",
            columns,
            _title_rows(by_length.filter(pl.col("duration_int") > 0).reverse().head(LISTED), "min"),
        ),
        Table(
            "missing_durations",
            "Movies with a zero or missing duration",
            columns,
            _title_rows(missing.sort("id").head(LISTED), "min"),
            note=f"{missing.height:,} in all ({per_platform(missing)}); the first {LISTED} "
            "by id are listed.",
        ),
        Table(
            "movies_in_seasons",
            "Movies whose duration is given in seasons",
            columns,
            _title_rows(in_seasons.sort("id").head(LISTED), "season"),
            note=f"{in_seasons.height:,} in all ({per_platform(in_seasons)}): a type or "
            "duration the source got wrong, kept as is and left out of the minutes.",
        ),
        Table(
            "longest_shows",
            f"The {LISTED} longest-running tv shows",
            columns,
            _title_rows(longest_shows.head(LISTED), "season"),
        ),
    ]
