"""TV shows: neighbours among shows only, by content (the ratings cover movies only)."""

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_SHOW
from threadpoolctl import threadpool_limits

from etl_job.recommender.features import build_content_features
from etl_job.recommender.movies import index_movies
from etl_job.recommender.reasons import explain
from etl_job.recommender.similarity import top_k_neighbours
from etl_job.recommender.train import NEIGHBOURS_SCHEMA


def show_neighbours(*, catalog: pl.DataFrame, top_k: int) -> pl.DataFrame:
    """The top_k shows most similar to every catalog show (content cosine divided by the
    query's best, so 1.0 is its closest show, as the movies' blended scores are)."""
    index = index_movies(catalog=catalog, kind=CATALOG_TYPE_SHOW)
    if index.size < 2:
        return pl.DataFrame(schema=NEIGHBOURS_SCHEMA)
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        content = top_k_neighbours(matrix=features.matrix, rows=np.arange(index.size),
                                   groups=index.groups, k=top_k)
    scored = content.with_columns(
        score=pl.col("score") / pl.col("score").max().over("query"), collab=pl.lit(0.0))
    reasons = explain(movies=index.movies, features=features, neighbours=scored,
                      liked_rows=set())
    ids = pl.Series("id", index.ids, dtype=pl.String)
    return pl.DataFrame({
        "movie_id": ids.gather(scored["query"]),
        "rank": scored.select(rank=pl.int_range(1, pl.len() + 1).over("query"))["rank"],
        "neighbour_id": ids.gather(scored["neighbour"]),
        "score": scored["score"],
        "reason": reasons,
    }).cast(NEIGHBOURS_SCHEMA)
