"""TV shows: neighbours among shows only, by content (the ratings cover movies only)."""

import numpy as np
import polars as pl

from etl_job.recommender.audience import row_bands, suited
from etl_job.recommender.features import ContentFeatures
from etl_job.recommender.movies import MovieIndex
from etl_job.recommender.popularity import fill_short_lists
from etl_job.recommender.similarity import top_k_neighbours

# Candidates per list before the audience rule cuts the unsuited ones.
CANDIDATE_FACTOR = 4


def show_neighbours(
    *, index: MovieIndex, features: ContentFeatures, top_k: int, threads: int | None = None
) -> pl.DataFrame:
    """The top_k shows most similar to every show of `index`, scored by the content cosine over
    the query's best; reasons are left for depth to write after the platform cut."""
    content = top_k_neighbours(
        matrix=features.matrix,
        rows=np.arange(index.size),
        groups=index.groups,
        k=CANDIDATE_FACTOR * top_k,
        threads=threads,
    )
    bands = row_bands(index)
    content = suited(content, bands=bands).filter(pl.int_range(0, pl.len()).over("query") < top_k)
    # Shows have no ratings to rank by popularity: short lists get the newest suited shows, so
    # a show that shares no word with any show it suits still gets a list.
    years = index.movies["release_year"].fill_null(0).to_numpy()
    content = fill_short_lists(
        neighbours=content,
        rows=np.arange(index.size),
        k=top_k,
        order=np.lexsort((np.arange(index.size), -years)),
        groups=index.groups,
        bands=bands,
    )
    # A list of fill rows only has a best of 0: its scores stay 0, not NaN.
    scored = content.with_columns(
        score=(pl.col("score") / pl.col("score").max().over("query")).fill_nan(0.0)
    )
    return index.published(scored)
