"""Per platform: titles by type, release years, dates added, maturity ratings, durations."""

import datetime

import polars as pl
from contracts.audience import RATING_BANDS, AgeBand
from matplotlib import colormaps

from eda.data import MOVIE, PLATFORMS, SHOW, RunData, counts, share, top_per_platform
from eda.model import Figure, Section, Table
from eda.plots import PLATFORM_COLOURS, grouped_bars, integer_x, new_figure, no_data, png_bytes
from eda.sections.durations import duration_figures, duration_tables

TOP_RATINGS_PER_PLATFORM = 5


def platform_section(run: RunData) -> Section:
    """Figures comparing the four platforms' catalogs."""
    return Section(
        slug="platforms",
        title="The four catalogs, platform by platform",
        intro=f"{run.catalog.height:,} titles after cleaning, from "
        f"{run.catalog['platform'].n_unique()} platforms.",
        figures=[
            titles_by_type(run.catalog),
            release_years(run.catalog),
            dates_added(run.catalog),
            maturity_ratings(run.catalog),
            *duration_figures(run),
        ],
        tables=[*duration_tables(run), age_bands(run.catalog)],
    )


def age_bands(catalog: pl.DataFrame) -> Table:
    """The one age-band mapping (contracts.audience), with the titles of each band."""
    titles = counts(catalog, "age_band", "platform")
    rows = []
    for band in AgeBand:
        spellings = sorted(s for s, b in RATING_BANDS.items() if b is band)
        if band is AgeBand.UNKNOWN:
            spellings.append("(empty, or a duration in the rating column)")
        rows.append(
            [
                band.value,
                ", ".join(spellings),
                *(f"{titles.get((band.value, p), 0):,}" for p in PLATFORMS),
            ]
        )
    return Table(
        slug="age_bands",
        title="Age bands: every maturity rating spelling, folded",
        columns=["band", "ratings", *PLATFORMS],
        rows=rows,
        note="Titles per band and platform. A kids' title's recommendations hold only "
        "kids' and family titles; a family title's no adult-rated title.",
    )


def titles_by_type(catalog: pl.DataFrame) -> Figure:
    titles = counts(catalog, "platform", "type")
    figure, (axes,) = new_figure(height=3.6)
    grouped_bars(
        axes,
        PLATFORMS,
        {
            kind: ([titles.get((p, kind), 0) for p in PLATFORMS], colour)
            for kind, colour in ((MOVIE, "#4477AA"), (SHOW, "#CC6677"))
        },
        fmt="{:,.0f}",
    )
    axes.set_ylabel("titles")
    totals = {p: titles.get((p, MOVIE), 0) + titles.get((p, SHOW), 0) for p in PLATFORMS}
    largest = max(PLATFORMS, key=lambda p: totals[p])
    more_shows = [p for p in PLATFORMS if titles.get((p, SHOW), 0) > titles.get((p, MOVIE), 0)]
    finding = f"{largest} has the largest catalog ({totals[largest]:,} titles); "
    finding += (
        f"only {', '.join(more_shows)} carries more tv shows than movies."
        if more_shows
        else "every platform carries more movies than tv shows."
    )
    return Figure(
        slug="titles_by_type",
        title="Titles by type",
        caption="Number of movies and tv shows in each platform's cleaned catalog.",
        finding=finding,
        png=png_bytes(figure),
    )


def release_years(catalog: pl.DataFrame) -> Figure:
    figure, (axes,) = new_figure(height=3.8)
    years = catalog["release_year"].drop_nulls()
    if years.is_empty():
        no_data(axes)
        finding = "No release years."
    else:
        low, high = int(years.min()), int(years.max())  # type: ignore[arg-type]
        bins = list(range(low - low % 5, high + 6, 5))
        for platform in PLATFORMS:
            values = catalog.filter(pl.col("platform") == platform)["release_year"].to_list()
            if values:
                axes.hist(
                    values,
                    bins=bins,
                    density=True,
                    histtype="step",
                    linewidth=1.6,
                    label=platform,
                    color=PLATFORM_COLOURS[platform],
                )
        axes.set_xlabel("release year (5-year bins)")
        axes.set_ylabel("share of the platform's titles per year")
        axes.legend()
        medians = (
            catalog.group_by("platform").agg(pl.col("release_year").median()).sort("release_year")
        )
        oldest = catalog.sort("release_year", "id").row(0, named=True)
        finding = (
            "Median release year: "
            + ", ".join(f"{p} {m:.0f}" for p, m in medians.iter_rows())
            + f"; the oldest title is "
            f"'{oldest['title']}' ({oldest['release_year']}, {oldest['platform']})."
        )
    return Figure(
        slug="release_years",
        title="Release years",
        caption="Distribution of release years per platform, each normalised to its "
        "own catalog so the shapes compare.",
        finding=finding,
        png=png_bytes(figure),
    )


def partial_year_note(catalog: pl.DataFrame) -> str:
    """The data ends during its last year: say so, or its low count reads as a decline."""
    newest = catalog["date_added"].max()
    if not isinstance(newest, datetime.date) or (newest.month, newest.day) == (12, 31):
        return ""
    days = (newest - datetime.date(newest.year, 1, 1)).days + 1
    return (
        f" {newest.year} is a partial year: the newest title was added on "
        f"{newest.isoformat()} ({days} of its days), so its lower count is not a decline."
    )


def dates_added(catalog: pl.DataFrame) -> Figure:
    figure, (axes,) = new_figure(height=3.8)
    per_year = (
        catalog.filter(pl.col("date_added").is_not_null())
        .group_by("platform", pl.col("date_added").dt.year().alias("year"))
        .len()
        .sort("year")
    )
    missing = counts(catalog.filter(pl.col("date_added").is_null()), "platform")
    totals = counts(catalog, "platform")
    for platform in PLATFORMS:
        rows = per_year.filter(pl.col("platform") == platform)
        label = (
            f"{platform} (date missing for "
            f"{share(missing.get(platform, 0), totals.get(platform, 0))})"
        )
        years, added = rows["year"].to_list(), rows["len"].to_list()
        axes.plot(
            years, added, marker="o", markersize=3, label=label, color=PLATFORM_COLOURS[platform]
        )
    axes.set_xlabel("year the title was added")
    integer_x(axes)
    axes.set_ylabel("titles added")
    axes.legend(fontsize=8)
    worst = max(PLATFORMS, key=lambda p: missing.get(p, 0) / max(totals.get(p, 0), 1))
    finding = (
        f"date_added is missing for {missing.get(worst, 0):,} of "
        f"{totals.get(worst, 0):,} {worst} titles "
        f"({share(missing.get(worst, 0), totals.get(worst, 0))}), the most of any "
        "platform"
    )
    if per_year.height:
        peak = per_year.sort(["len", "year"], descending=[True, False]).row(0, named=True)
        finding += (
            f"; the busiest year was {peak['year']} on {peak['platform']} "
            f"({peak['len']:,} titles added)."
        )
        finding += partial_year_note(catalog)
    return Figure(
        slug="dates_added",
        title="Date added over time",
        caption="Titles added per calendar year on each platform (titles without a "
        "date_added are left out; the legend says how many).",
        finding=finding + ("" if finding.endswith(".") else "."),
        png=png_bytes(figure),
    )


def shown_ratings(catalog: pl.DataFrame) -> list[str]:
    """The labels the chart names, most common overall first: each platform's own top ones, as
    the systems differ (US TV, MPAA, age-based) and an overall top would hide Disney's."""
    overall = catalog["rating"].value_counts().sort(["count", "rating"], descending=[True, False])
    shown = set(top_per_platform(catalog, "rating", TOP_RATINGS_PER_PLATFORM)["rating"])
    return [r for r in overall["rating"].to_list() if r in shown]


def maturity_ratings(catalog: pl.DataFrame) -> Figure:
    overall = catalog["rating"].value_counts()
    top = shown_ratings(catalog)
    labelled = catalog.with_columns(
        label=pl.when(pl.col("rating").is_in(top)).then(pl.col("rating")).otherwise(pl.lit("other"))
    )
    labels = counts(labelled, "platform", "label")
    totals = counts(catalog, "platform")
    figure, (axes,) = new_figure(height=3.8)
    categories = [*top, "other"]
    palette = colormaps["tab20"]  # up to 20 distinct labels
    colours = [palette(i % 20) for i in range(len(top))] + ["#bbbbbb"]
    left = [0.0] * len(PLATFORMS)
    for category, colour in zip(categories, colours, strict=True):
        shares = [labels.get((p, category), 0) / max(totals.get(p, 0), 1) for p in PLATFORMS]
        axes.barh(PLATFORMS, shares, left=left, label=category, color=colour)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("share of the platform's titles")
    axes.legend(ncols=6, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    finding = (
        f"{overall.height} distinct maturity labels mix the US TV, MPAA and age-based "
        "systems; the most common per platform: "
        + ", ".join(
            f"{p} {r} ({share(n, totals.get(p, 0))})"
            for p, r, n in top_per_platform(catalog, "rating").iter_rows()
        )
        + "."
    )
    return Figure(
        slug="maturity_ratings",
        title="Maturity rating mix",
        caption="Share of each maturity rating per platform: every label among a "
        f"platform's {TOP_RATINGS_PER_PLATFORM} most common, the rest grouped "
        "as 'other'.",
        finding=finding,
        png=png_bytes(figure),
    )
