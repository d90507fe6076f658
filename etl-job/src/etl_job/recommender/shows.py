"""TV shows: neighbours among shows only, by content (the ratings cover movies only)."""

import numpy as np
import polars as pl

from etl_job.recommender.features import ContentFeatures
from etl_job.recommender.movies import MovieIndex
from etl_job.recommender.similarity import top_k_neighbours
from etl_job.recommender.train import NEIGHBOURS_SCHEMA


def show_neighbours(*, index: MovieIndex, features: ContentFeatures, top_k: int,
                    threads: int | None = None) -> pl.DataFrame:
    """The top_k shows most similar to every show of `index` (content cosine divided by the
    query's best, so 1.0 is its closest show, as the movies' blended scores are). Reasons are
    left null: they are written after the platform cut, for the rows kept
    (etl_job.recommender.depth)."""
    content = top_k_neighbours(matrix=features.matrix, rows=np.arange(index.size),
                               groups=index.groups, k=top_k, threads=threads)
    scored = content.with_columns(score=pl.col("score") / pl.col("score").max().over("query"))
    ids = pl.Series("id", index.ids, dtype=pl.String)
    return pl.DataFrame({
        "movie_id": ids.gather(scored["query"]),
        "rank": scored.select(rank=pl.int_range(1, pl.len() + 1).over("query"))["rank"],
        "neighbour_id": ids.gather(scored["neighbour"]),
        "score": scored["score"],
        "reason": pl.Series([None] * scored.height, dtype=pl.String),
    }).cast(NEIGHBOURS_SCHEMA)
