"""What the titles are: genres per platform, countries, directors, actors, missing values."""

import polars as pl
from contracts.genres import genre_display
from contracts.schema import CATALOG_COLUMNS

from eda.data import PLATFORMS, RunData, counts, list_items, share, top_items, top_per_platform
from eda.model import Figure, Section
from eda.plots import barh_counts, heatmap, new_figure, no_data, png_bytes

TOP_GENRES = 15
TOP_NAMES = 15
MOSTLY_MISSING = 90.0  # percent
# Columns whose gaps tell something; ids, platform and derived columns are never null.
MISSING_COLUMNS = [
    c
    for c in CATALOG_COLUMNS
    if c not in ("id", "platform", "show_id", "score_source", "rating_count")
]


def content_section(run: RunData) -> Section:
    """Genres, countries, people and the gaps in the catalog."""
    return Section(
        slug="content",
        title="Genres, countries, people and missing values",
        intro="`listed_in`, `country`, `director` and `cast` are comma-separated "
        "lists: each item counts once per title.",
        figures=[
            genres_by_platform(run.catalog),
            top_list(run.catalog, "country", "top_countries", "Top countries"),
            top_list(run.catalog, "director", "top_directors", "Top directors"),
            top_list(run.catalog, "cast", "top_actors", "Top actors"),
            missing_values(run.catalog),
        ],
    )


def harmonised_genres(catalog: pl.DataFrame) -> pl.DataFrame:
    """One row per (title, genre), the platforms' spellings of a genre folded into the most
    used one ('dramas' and 'drama', 'documentaries' and 'documentary'; contracts.genres)."""
    items = list_items(catalog, "listed_in")
    if items.is_empty():
        return items
    display = genre_display(dict(items.group_by("item").len().iter_rows()))
    return items.with_columns(
        pl.col("item").replace_strict(display, return_dtype=pl.String)
    ).unique(["id", "item"], maintain_order=True)


def genres_by_platform(catalog: pl.DataFrame) -> Figure:
    totals = counts(catalog, "platform")
    items = harmonised_genres(catalog)
    genres = top_items(items, "item", TOP_GENRES)["item"].to_list()
    titles = {
        (p, g): n
        for p, g, n in items.group_by("platform", "item").agg(pl.col("id").n_unique()).iter_rows()
    }
    figure, (axes,) = new_figure(height=5.5, width=8.5)
    if genres:
        shares = [
            [100 * titles.get((p, g), 0) / max(totals.get(p, 0), 1) for p in PLATFORMS]
            for g in genres
        ]
        heatmap(axes, shares, genres, cmap="Blues", label="% of the platform's titles")
    else:
        no_data(axes)
    labels = list_items(catalog, "listed_in").group_by("platform").agg(pl.col("item").n_unique())
    finding = (
        "Most common genre: "
        + ", ".join(
            f"{p} '{g}' ({share(n, totals.get(p, 0))})"
            for p, g, n in top_per_platform(items, "item").iter_rows()
        )
        + ". Genre labels are each platform's own ("
        + ", ".join(f"{p} {n}" for p, n in labels.sort("platform").iter_rows())
        + " distinct labels); the spellings of one genre ('dramas' and 'drama', 'comedies' "
        "and 'comedy', 'tv dramas') are counted as one, under the most used spelling."
    )
    return Figure(
        slug="genres_by_platform",
        title="Genres by platform",
        caption=f"Share of each platform's titles listed under the {TOP_GENRES} "
        "genres named most often overall (a title may have several genres; "
        "each platform's spellings of a genre folded into one).",
        finding=finding,
        png=png_bytes(figure),
    )


def top_list(catalog: pl.DataFrame, column: str, slug: str, title: str) -> Figure:
    top = top_items(catalog, column, TOP_NAMES)
    figure, (axes,) = new_figure(height=4.6)
    barh_counts(axes, top["item"].to_list(), top["titles"].to_list())
    named = catalog.filter(pl.col(column).is_not_null()).height
    if top.height:
        first = top.row(0, named=True)
        finding = (
            f"'{first['item']}' is named in {first['titles']:,} titles "
            f"({share(first['titles'], named)} of the {named:,} titles that name any); "
            f"{catalog.height - named:,} titles "
            f"({share(catalog.height - named, catalog.height)}) leave {column} empty."
        )
    else:
        finding = f"No title names a {column}."
    return Figure(
        slug=slug,
        title=title,
        caption=f"The {TOP_NAMES} values of `{column}` named in most titles, all "
        "platforms together.",
        finding=finding,
        png=png_bytes(figure),
    )


def missing_values(catalog: pl.DataFrame) -> Figure:
    columns = MISSING_COLUMNS
    nulls = catalog.group_by("platform").agg(pl.col(columns).is_null().mean())
    by_platform = {row["platform"]: row for row in nulls.iter_rows(named=True)}
    matrix = [[100 * (by_platform.get(p, {}).get(c) or 0.0) for p in PLATFORMS] for c in columns]
    figure, (axes,) = new_figure(height=5.5, width=7.5)
    label = "% of the platform's titles missing it"
    heatmap(axes, matrix, columns, cmap="Reds", vmax=100, label=label)
    # avg_rating is empty by construction wherever nobody rated: the findings are about the sources.
    source = [c for c in columns if c != "avg_rating"]
    gaps = sorted(
        (
            (v, c, p)
            for c, values in zip(columns, matrix, strict=True)
            if c in source
            for p, v in zip(PLATFORMS, values, strict=True)
            if v >= MOSTLY_MISSING
        ),
        key=lambda gap: (-gap[0], gap[1], gap[2]),
    )
    overall = {c: catalog[c].null_count() for c in source}
    top_column = max(source, key=lambda c: (overall[c], c))
    finding = (
        f"Source columns missing for {MOSTLY_MISSING:.0f}% or more of a platform's titles: "
        + (", ".join(f"{c} on {p} ({v:.1f}%)" for v, c, p in gaps) or "none")
        + f"; over all platforms {top_column} is the emptiest column "
        f"({overall[top_column]:,} of {catalog.height:,} titles, "
        f"{share(overall[top_column], catalog.height)})."
    )
    return Figure(
        slug="missing_values",
        title="Missing values per column and platform",
        caption="Percentage of each platform's titles with no value in each column "
        "after cleaning (avg_rating is missing wherever no user rated the "
        "title).",
        finding=finding,
        png=png_bytes(figure),
    )
