"""Collaborative similarity: implicit's BM25 item-item model on the users' positive ratings."""

import warnings

import numpy as np
import polars as pl
from implicit.nearest_neighbours import BM25Recommender
from implicit.utils import ParameterWarning
from scipy import sparse

from etl_job.config import usable_cpus
from etl_job.recommender.movies import RatedMatrix
from etl_job.recommender.similarity import NEIGHBOUR_SCHEMA, top_k_blocks

# Chosen offline: a half-star above the middle is liking a film; BM25 damps users who like all.
POSITIVE_RATING = 3.5
BM25_K1 = 1.2
BM25_B = 0.75


def positive_matrix(
    *, ratings: RatedMatrix, max_items: int | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Users x liked-movies matrix (1 where rated POSITIVE_RATING or more) and each column's row.

    Only movies someone liked get a column (empty ones would distort BM25's average column
    length); with `max_items`, only the most liked (ties to the lower row)."""
    liked = ratings.liked(POSITIVE_RATING)
    likes = np.bincount(liked.indices, minlength=liked.shape[1])
    movies = np.flatnonzero(likes)
    if max_items is not None and len(movies) > max_items:
        movies = np.sort(movies[np.lexsort((movies, -likes[movies]))[:max_items]])
    return liked[:, movies], movies.astype(np.int64)


def collaborative_neighbours(
    *,
    ratings: RatedMatrix,
    groups: np.ndarray,
    rows: np.ndarray,
    k: int,
    threads: int | None = None,
) -> pl.DataFrame:
    """Top-k movies liked by the same users (query, neighbour, score > 0, best first) for each
    query row that someone liked, never one of its own film."""
    liked, movies = positive_matrix(ratings=ratings)
    queries = movies[np.isin(movies, rows)]
    if liked.nnz == 0 or len(queries) == 0:
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    model = BM25Recommender(K=k + 1, K1=BM25_K1, B=BM25_B, num_threads=threads or usable_cpus())
    with warnings.catch_warnings():
        # fit hands its own COO weighting to the kNN, which warns it converts it to CSR.
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(liked, show_progress=False)
    del liked
    # model.similarity holds similar_items' top k + 1 per movie: read at once, without its loop.
    return top_k_blocks(
        score=lambda block: model.similarity[np.searchsorted(movies, block)].toarray(),
        rows=queries,
        columns=movies,
        groups=groups,
        k=k,
        threads=threads,
    )
