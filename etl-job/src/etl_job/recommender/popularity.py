"""Popularity: the most liked movies, as a baseline and to fill short neighbour lists."""

from itertools import islice

import numpy as np
import polars as pl

from etl_job.recommender.audience import ALLOWED
from etl_job.recommender.blend import BLEND_SCHEMA, SIGNALS
from etl_job.recommender.collaborative import POSITIVE_RATING
from etl_job.recommender.movies import RatedMatrix


def popularity_order(*, ratings: RatedMatrix, n_movies: int) -> np.ndarray:
    """Movie rows by number of positive ratings, then of ratings, then row; unrated rows last."""
    liked, rated = ratings.per_movie(POSITIVE_RATING, size=n_movies)
    return np.lexsort((np.arange(n_movies), -rated, -liked))


def liked_rows(*, ratings: RatedMatrix) -> set[int]:
    """Rows of the movies someone rated POSITIVE_RATING or more."""
    return set(np.flatnonzero(ratings.per_movie(POSITIVE_RATING)[0]).tolist())


def most_rated(*, ratings: RatedMatrix, count: int) -> set[int]:
    """Rows of the `count` movies with the most ratings (ties broken by row)."""
    rated = ratings.per_movie(0.0)[1]
    rows = np.flatnonzero(rated)
    return set(rows[np.lexsort((rows, -rated[rows]))][:count].tolist())


def popular_neighbours(
    *,
    order: np.ndarray,
    groups: np.ndarray,
    rows: np.ndarray,
    k: int,
    existing: dict[int, set[int]] | None = None,
    bands: np.ndarray | None = None,
) -> pl.DataFrame:
    """For each query row, the first k rows of `order` that are not its film, already listed
    nor (with `bands`) unsuited to its audience."""
    existing = existing or {}
    ranked = order.tolist()
    queries: list[int] = []
    neighbours: list[int] = []
    for query in rows.tolist():
        taken = existing.get(query, set())
        fits = (
            row
            for row in ranked
            if groups[row] != groups[query]
            and row not in taken
            and (bands is None or ALLOWED[bands[query], bands[row]])
        )
        found = list(islice(fits, max(k, 0)))
        queries += [query] * len(found)
        neighbours += found
    scores = dict.fromkeys(("score", *SIGNALS), 0.0)
    return pl.DataFrame({"query": queries, "neighbour": neighbours, **scores}, schema=BLEND_SCHEMA)


def fill_short_lists(
    *,
    neighbours: pl.DataFrame,
    order: np.ndarray,
    groups: np.ndarray,
    rows: np.ndarray,
    k: int,
    bands: np.ndarray | None = None,
) -> pl.DataFrame:
    """Append the first rows of `order` (score 0) to every query row that has fewer than k
    neighbours (suited to its audience, with `bands`: see popular_neighbours)."""
    counts = dict(neighbours.group_by("query").len().iter_rows())
    short = [int(row) for row in rows if counts.get(int(row), 0) < k]
    if not short:
        return neighbours
    listed = (
        neighbours.filter(pl.col("query").is_in(short)).group_by("query").agg(pl.col("neighbour"))
    )
    existing = {q: set(ns) for q, ns in listed.iter_rows()}
    fillers = popular_neighbours(
        order=order, groups=groups, rows=np.array(short), k=k, existing=existing, bands=bands
    )
    missing = k - pl.col("query").replace_strict(counts, default=0)
    fillers = fillers.filter(pl.int_range(0, pl.len()).over("query") < missing)
    fillers = fillers.select(neighbours.columns).cast(neighbours.schema)
    # A stable sort by query keeps each list's order and puts its fillers after it.
    return pl.concat([neighbours, fillers]).sort("query", maintain_order=True)
