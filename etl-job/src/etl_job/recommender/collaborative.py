"""Collaborative similarity: implicit's BM25 item-item model on the users' positive ratings."""

import warnings

import numpy as np
import polars as pl
from implicit.nearest_neighbours import BM25Recommender
from implicit.utils import ParameterWarning
from scipy import sparse

# Chosen by the offline evaluation on the real ratings (see evaluate.py and the manifest):
# a half-star above the middle counts as liking a film, and BM25 damps users who like everything.
POSITIVE_RATING = 3.5
BM25_K1 = 1.2
BM25_B = 0.75

NEIGHBOUR_SCHEMA = {"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64}


def positive_matrix(*, ratings: pl.DataFrame,
                    threshold: float = POSITIVE_RATING) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Users x liked-movies matrix (1 where rated `threshold` or more) and each column's row.

    Only movies someone liked get a column: BM25 normalises by the average column length, which
    empty columns would distort.
    """
    liked = ratings.filter(pl.col("rating") >= threshold)
    _, users = np.unique(liked["user_id"].to_numpy(), return_inverse=True)
    movies, columns = np.unique(liked["row"].to_numpy(), return_inverse=True)
    matrix = sparse.csr_matrix((np.ones(len(users), dtype=np.float32), (users, columns)),
                               shape=(int(users.max(initial=-1)) + 1, len(movies)))
    matrix.data[:] = 1.0  # a user who rated a movie twice still liked it once
    return matrix, movies.astype(np.int64)


def collaborative_neighbours(*, ratings: pl.DataFrame, groups: np.ndarray, rows: np.ndarray,
                             k: int, threshold: float = POSITIVE_RATING) -> pl.DataFrame:
    """Top-k movies liked by the same users, for each query row that any user liked.

    Columns query, neighbour (movie rows), score (BM25 item-item similarity, > 0), best first;
    movies of the query's group (itself, the same title elsewhere) are left out.
    """
    liked, movies = positive_matrix(ratings=ratings, threshold=threshold)
    rows = np.asarray(rows, dtype=np.int64)
    queries = np.isin(movies, rows)
    if liked.nnz == 0 or not queries.any():
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    model = BM25Recommender(K=k + 1, K1=BM25_K1, B=BM25_B)
    with warnings.catch_warnings():
        # implicit hands its own BM25 weighting to the kNN as COO and then warns about it.
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(liked, show_progress=False)
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

