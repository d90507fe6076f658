"""Collaborative similarity: implicit's BM25 item-item model on the users' positive ratings."""

import warnings

import numpy as np
import polars as pl
from implicit.nearest_neighbours import BM25Recommender
from implicit.utils import ParameterWarning
from scipy import sparse

from etl_job.config import usable_cpus
from etl_job.recommender.movies import RatedMatrix

# Chosen by the offline evaluation on the real ratings (see evaluate.py and the manifest):
# a half-star above the middle counts as liking a film, and BM25 damps users who like everything.
POSITIVE_RATING = 3.5
BM25_K1 = 1.2
BM25_B = 0.75

NEIGHBOUR_SCHEMA = {"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64}


def positive_matrix(*, ratings: RatedMatrix, threshold: float = POSITIVE_RATING,
                    max_items: int | None = None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Users x liked-movies matrix (1 where rated `threshold` or more) and each column's row.

    Only movies someone liked get a column: BM25 normalises by the average column length, which
    empty columns would distort. With `max_items`, only the `max_items` most liked movies
    (ties to the lower row) get one. Rows are every user of `ratings`, in order (a user who
    liked nothing has an empty row, which changes neither BM25 nor EASE).
    """
    liked = ratings.liked(threshold)
    likes = np.bincount(liked.indices, minlength=liked.shape[1])
    movies = np.flatnonzero(likes)
    if max_items is not None and len(movies) > max_items:
        movies = np.sort(movies[np.lexsort((movies, -likes[movies]))[:max_items]])
    column = np.full(liked.shape[1], -1, dtype=np.int32)
    column[movies] = np.arange(len(movies), dtype=np.int32)
    if max_items is not None and len(movies) < int(np.count_nonzero(likes)):
        # Drop the other columns' entries in place (no second copy of the matrix).
        liked.data[column[liked.indices] < 0] = 0.0
        liked.eliminate_zeros()
    liked.indices = column[liked.indices]
    liked = sparse.csr_matrix((liked.data, liked.indices, liked.indptr),
                              shape=(liked.shape[0], len(movies)))
    return liked, movies.astype(np.int64)


def collaborative_neighbours(*, ratings: RatedMatrix, groups: np.ndarray, rows: np.ndarray,
                             k: int, threshold: float = POSITIVE_RATING,
                             threads: int | None = None) -> pl.DataFrame:
    """Top-k movies liked by the same users, for each query row that any user liked.

    Columns query, neighbour (movie rows), score (BM25 item-item similarity, > 0), best first;
    movies of the query's group (itself, the same title elsewhere) are left out.
    """
    liked, movies = positive_matrix(ratings=ratings, threshold=threshold)
    rows = np.asarray(rows, dtype=np.int64)
    queries = np.isin(movies, rows)
    if liked.nnz == 0 or not queries.any():
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    model = BM25Recommender(K=k + 1, K1=BM25_K1, B=BM25_B, num_threads=threads or usable_cpus())
    with warnings.catch_warnings():
        # BM25Recommender.fit hands its own weighting (a COO matrix) to the kNN, which warns
        # that it converts it to CSR: implicit's path, not this caller's input.
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(liked, show_progress=False)
    del liked
    # model.similarity holds what similar_items returns, the top k + 1 per movie (itself
    # included); reading its rows at once avoids similar_items' per-movie Python loop.
    similarity = model.similarity[np.flatnonzero(queries)].tocoo()
    frame = pl.DataFrame({
        "query": movies[np.flatnonzero(queries)[similarity.row]].astype(np.int32),
        "neighbour": movies[similarity.col].astype(np.int32),
        "score": similarity.data.astype(np.float64),
    }).filter(pl.col("score") > 0)
    same_film = groups[frame["query"].to_numpy()] == groups[frame["neighbour"].to_numpy()]
    return (frame.filter(pl.Series(~same_film))
            .sort(["query", "score", "neighbour"], descending=[False, True, False])
            .group_by("query", maintain_order=True).head(k))

