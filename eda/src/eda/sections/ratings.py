"""The user ratings: how they spread over users and titles, their values, their dates."""

from typing import cast

import polars as pl

from eda.data import PLATFORMS, RunData, counts, share
from eda.model import Figure, Section
from eda.plots import NEUTRAL, integer_x, new_figure, no_data, png_bytes

HEAD = 100  # the "most-rated" head, as the recommender's tail metric counts it


def ratings_section(run: RunData) -> Section:
    """Long tails, values, activity over time and the catalog movies nobody rated."""
    ratings = run.ratings
    section = Section(
        slug="ratings",
        title="User ratings",
        intro=f"{ratings.height:,} ratings by {ratings['user_id'].n_unique():,} "
        f"users on {ratings['movie_id'].n_unique():,} catalog titles.",
    )
    section.figures += [
        long_tail(ratings, "user_id", "ratings_per_user", "users", "Ratings per user"),
        long_tail(ratings, "movie_id", "ratings_per_title", "titles", "Ratings per title"),
        rating_values(ratings),
        activity(ratings),
        unrated_movies(run),
    ]
    return section


def no_ratings(slug: str, title: str, caption: str, panels: int = 1) -> Figure:
    """The figure of a run without ratings: its panels say so."""
    figure, axes = new_figure(panels=panels, height=3.4)
    for panel in axes:
        no_data(panel, "no ratings")
    return Figure(
        slug=slug, title=title, caption=caption, finding="No ratings.", png=png_bytes(figure)
    )


def long_tail(ratings: pl.DataFrame, key: str, slug: str, who: str, title: str) -> Figure:
    caption = (
        f"Left: how many {who} have each number of ratings (log count). Right: ratings "
        f"of each {who[:-1]} by rank, both axes log: a straight fall is a long tail."
    )
    if ratings.is_empty():
        return no_ratings(slug, title, caption, panels=2)
    counts = ratings.group_by(key).len().sort("len", descending=True)["len"]
    figure, (left, right) = new_figure(panels=2, height=3.6)
    left.hist(counts.to_list(), bins=30, color=NEUTRAL, log=True)
    left.set_xlabel(f"ratings per {who[:-1]}")
    left.set_ylabel(f"{who} (log scale)")
    right.loglog(range(1, counts.len() + 1), counts.to_list(), color="#0072B2")
    right.set_xlabel(f"{who[:-1]} rank (log scale)")
    right.set_ylabel("ratings (log scale)")
    tenth = max(1, counts.len() // 10)
    head_share = share(float(counts.head(tenth).sum()), float(counts.sum()))
    finding = (
        f"Median {cast(float, counts.median()):g} ratings per {who[:-1]}, "
        f"the most {cast(int, counts.max()):,}; "
        f"the top 10% of {who} ({tenth:,}) account for {head_share} of all ratings."
    )
    return Figure(slug=slug, title=title, caption=caption, finding=finding, png=png_bytes(figure))


def rating_values(ratings: pl.DataFrame) -> Figure:
    caption = "How often each half-star value from 0.5 to 5 was given."
    if ratings.is_empty():
        return no_ratings("rating_values", "Rating values", caption)
    values = ratings["rating"].value_counts().sort("rating")
    figure, (axes,) = new_figure(height=3.4)
    axes.bar(values["rating"].to_list(), values["count"].to_list(), width=0.4, color="#009E73")
    axes.set_xticks([x / 2 for x in range(1, 11)])
    axes.set_xlabel("rating (stars)")
    axes.set_ylabel("ratings")
    mode = values.sort(["count", "rating"], descending=[True, False]).row(0, named=True)
    whole = ratings.filter(pl.col("rating") == pl.col("rating").round()).height
    finding = (
        f"Mean {cast(float, ratings['rating'].mean()):.2f} stars; the most common value "
        f"is {mode['rating']:g} ({share(mode['count'], ratings.height)}); "
        f"{share(whole, ratings.height)} of ratings are whole stars."
    )
    return Figure("rating_values", "Rating values", caption, finding, png_bytes(figure))


def activity(ratings: pl.DataFrame) -> Figure:
    caption = "Ratings given per calendar year (UTC)."
    if ratings.is_empty():
        return no_ratings("rating_activity", "Rating activity over time", caption)
    given = pl.from_epoch("timestamp", time_unit="s")
    per_year = ratings.group_by(year=given.dt.year()).len().sort("year")
    figure, (axes,) = new_figure(height=3.4)
    axes.bar(per_year["year"].to_list(), per_year["len"].to_list(), color="#CC79A7")
    axes.set_xlabel("year the rating was given")
    integer_x(axes)
    axes.set_ylabel("ratings")
    peak = per_year.sort(["len", "year"], descending=[True, False]).row(0, named=True)
    first, last = ratings.select(first=given.min(), last=given.max()).row(0)
    finding = (
        f"Ratings span {first:%Y-%m-%d} to {last:%Y-%m-%d}; the busiest year is "
        f"{peak['year']} with {peak['len']:,} ratings "
        f"({share(peak['len'], ratings.height)})."
    )
    return Figure(
        "rating_activity", "Rating activity over time", caption, finding, png_bytes(figure)
    )


def unrated_movies(run: RunData) -> Figure:
    movies = run.movies
    totals = counts(movies, "platform")
    rated = [
        counts(movies.filter(pl.col("rating_count") > 0), "platform").get(p, 0) for p in PLATFORMS
    ]
    unrated = [totals.get(p, 0) - r for p, r in zip(PLATFORMS, rated, strict=True)]
    figure, (axes,) = new_figure(height=3.4)
    axes.bar(PLATFORMS, rated, label="rated", color="#0072B2")
    bars = axes.bar(PLATFORMS, unrated, bottom=rated, label="no rating", color="#bbbbbb")
    axes.bar_label(
        bars,
        labels=[share(u, totals.get(p, 0)) for p, u in zip(PLATFORMS, unrated, strict=True)],
        fontsize=8,
    )
    axes.set_ylabel("movies")
    axes.legend()
    nobody = sum(unrated)
    finding = (
        f"{nobody:,} of {movies.height:,} catalog movies ({share(nobody, movies.height)}) "
        "have no user rating at all: the collaborative signal cannot reach them, only "
        "content similarity can."
    )
    head = run.ratings.group_by("movie_id").len().sort("len", descending=True).head(HEAD)
    if run.ratings.height:
        finding += (
            f" The {HEAD} most-rated titles hold "
            f"{share(float(head['len'].sum()), run.ratings.height)} of all ratings."
        )
    return Figure(
        slug="unrated_movies",
        title="Catalog movies with and without ratings",
        caption="Movies per platform split by whether any user rated them; the label "
        "is the share with no rating.",
        finding=finding,
        png=png_bytes(figure),
    )
