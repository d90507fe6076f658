"""Popularity: the most liked movies, as a baseline and to fill short neighbour lists."""

import numpy as np
import polars as pl

from etl_job.recommender.audience import ALLOWED
from etl_job.recommender.blend import BLEND_SCHEMA
from etl_job.recommender.collaborative import POSITIVE_RATING
from etl_job.recommender.movies import RatedMatrix


def popularity_order(
    *, ratings: RatedMatrix, n_movies: int, threshold: float = POSITIVE_RATING
) -> np.ndarray:
    """Movie rows by number of positive ratings, then of ratings, then row; unrated rows last."""
    liked, rated = ratings.per_movie(threshold, size=n_movies)
    return np.lexsort((np.arange(n_movies), -rated, -liked))


def liked_rows(*, ratings: RatedMatrix, threshold: float = POSITIVE_RATING) -> set[int]:
    """Rows of the movies someone rated `threshold` or more."""
    return set(np.flatnonzero(ratings.per_movie(threshold)[0]).tolist())


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
    queries: list[int] = []
    neighbours: list[int] = []
    for query in (int(r) for r in rows):
        taken = existing.get(query, set())
        found = 0
        for row in order:
            if found >= k:
                break
            row = int(row)
            if groups[row] == groups[query] or row in taken:
                continue
            if bands is not None and not ALLOWED[bands[query], bands[row]]:
                continue
            queries.append(query)
            neighbours.append(row)
            found += 1
    return pl.DataFrame(
        {
            "query": queries,
            "neighbour": neighbours,
            "score": 0.0,
            "ease": 0.0,
            "bm25": 0.0,
            "content": 0.0,
        },
        schema=BLEND_SCHEMA,
    )


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
    fillers = [
        popular_neighbours(
            order=order,
            groups=groups,
            rows=np.array([row]),
            k=k - counts.get(row, 0),
            existing=existing,
            bands=bands,
        )
        for row in short
    ]
    fillers = [f.select(neighbours.columns).cast(neighbours.schema) for f in fillers]
    # A stable sort by query keeps each list's order and puts its fillers after it.
    return pl.concat([neighbours, *fillers]).sort("query", maintain_order=True)
