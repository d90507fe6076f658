"""Training: content and collaborative neighbours for every catalog movie, blended, with reasons."""

import logging
import time

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from etl_job.recommender.blend import blend_neighbours, check_weight
from etl_job.recommender.collaborative import collaborative_neighbours
from etl_job.recommender.features import ContentFeatures, build_content_features
from etl_job.recommender.movies import MovieIndex, index_movies, index_ratings
from etl_job.recommender.popularity import fill_short_lists, liked_rows, popularity_order
from etl_job.recommender.reasons import explain
from etl_job.recommender.similarity import top_k_neighbours

log = logging.getLogger(__name__)

# Each signal proposes this many candidates per movie before the blend keeps the top k.
CANDIDATES = 50

NEIGHBOURS_SCHEMA = pl.Schema({
    "movie_id": pl.String(),
    "rank": pl.Int32(),
    "neighbour_id": pl.String(),
    "score": pl.Float64(),
    "reason": pl.String(),
})


def candidate_lists(*, index: MovieIndex, features: ContentFeatures, ratings: pl.DataFrame,
                    rows: np.ndarray, candidates: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Content and collaborative candidate frames (query, neighbour, score) for the given rows."""
    content = top_k_neighbours(matrix=features.matrix, rows=rows, groups=index.groups,
                               k=candidates)
    collab = collaborative_neighbours(ratings=ratings, groups=index.groups, rows=rows,
                                      k=candidates)
    return content, collab


def train(*, catalog: pl.DataFrame, ratings: pl.DataFrame, blend_weight: float,
          top_k: int = 20) -> pl.DataFrame:
    """The top_k blended neighbours of every catalog movie, with score and reason."""
    check_weight(blend_weight)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    started = time.perf_counter()
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    # The heavy parts are sparse products and implicit's own threads; BLAS threads would only
    # compete with them on a small machine.
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        content, collab = candidate_lists(index=index, features=features, ratings=rated,
                                          rows=np.arange(index.size),
                                          candidates=max(CANDIDATES, top_k))
    blended = blend_neighbours(content=content, collab=collab, features=features.matrix,
                               weight=blend_weight, k=top_k)
    blended = fill_short_lists(neighbours=blended,
                               order=popularity_order(ratings=rated, n_movies=index.size),
                               groups=index.groups, rows=np.arange(index.size), k=top_k)
    reasons = explain(movies=index.movies, features=features, neighbours=blended,
                      liked_rows=liked_rows(ratings=rated))
    ids = pl.Series("id", index.ids, dtype=pl.String)
    neighbours = pl.DataFrame({
        "movie_id": ids.gather(blended["query"]),
        "rank": blended.select(rank=pl.int_range(1, pl.len() + 1).over("query"))["rank"],
        "neighbour_id": ids.gather(blended["neighbour"]),
        "score": blended["score"],
        "reason": reasons,
    }).cast(NEIGHBOURS_SCHEMA)
    log.info("trained neighbours for %d movies (%d rated) in %.1fs", index.size,
             collab["query"].n_unique(), time.perf_counter() - started)
    return neighbours
