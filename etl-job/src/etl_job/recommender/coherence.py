"""What the published lists show, beyond HR@5: audience, crowd-pleasers, genre coherence."""

from typing import Any

import polars as pl
from contracts.audience import AgeBand
from contracts.domain import CATALOG_TYPE_MOVIE
from contracts.genres import genre_families

# The first places of a list that count as shown (the routes answer 5).
SHOWN = 5
# The most-rated movies, whose lists (opened most) the crowd-pleaser share is measured over too.
MOST_RATED = 400


def list_figures(lists: pl.DataFrame, *, catalog: pl.DataFrame, k: int = SHOWN) -> dict[str, Any]:
    """Over the first k of every published list: kids' and family lists holding an adult-rated
    title, the largest share of lists one title is in (all, and the MOST_RATED movies' lists),
    and the mean share of a list's titles sharing a genre family with its query."""
    about = catalog.unique("id").select(
        "id",
        "title",
        "age_band",
        families=pl.col("listed_in").map_elements(
            lambda text: sorted(genre_families(text)), return_dtype=pl.List(pl.String)
        ),
    )
    top = (
        lists.filter(pl.col("rank") <= k)
        .join(about.select(movie_id="id", own="age_band", wanted="families"), on="movie_id")
        .join(about.select("families", neighbour_id="id", their="age_band"), on="neighbour_id")
    )
    per_list = top.group_by("movie_id", "own").agg(adult=(pl.col("their") == "adult").any())
    figures: dict[str, Any] = {"lists": per_list.height}
    for own in (AgeBand.KIDS, AgeBand.FAMILY):
        of = per_list.filter(pl.col("own") == own.value)
        figures[f"{own.value}_lists"] = of.height
        figures[f"{own.value}_lists_with_adult"] = int(of["adult"].sum())
    movies = catalog.filter(pl.col("type") == CATALOG_TYPE_MOVIE).unique("id")
    popular = movies.sort(["rating_count", "id"], descending=[True, False]).head(MOST_RATED)
    title = dict(about.select("id", "title").iter_rows())
    for name, part in (
        ("all", top),
        ("most_rated", top.filter(pl.col("movie_id").is_in(popular["id"].implode()))),
    ):
        if part.is_empty():
            continue
        counts = (
            part.group_by("neighbour_id")
            .len()
            .sort(["len", "neighbour_id"], descending=[True, False])
        )
        neighbour, count = counts.row(0)
        figures[f"max_exposure_{name}"] = {
            "title": title.get(neighbour, neighbour),
            "share": round(count / part["movie_id"].n_unique(), 4),
        }
    shared = (
        top.filter(pl.col("wanted").list.len() > 0)
        .with_columns(shares=pl.col("families").list.set_intersection("wanted").list.len() > 0)
        .group_by("movie_id")
        .agg(pl.col("shares").mean())
    )
    share = shared.select(pl.col("shares").cast(pl.Float64).mean()).item()
    figures["genre_family_share"] = round(share or 0.0, 4)
    return figures
