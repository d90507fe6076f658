"""TV shows: neighbours among shows only, by content (the ratings cover movies only)."""

import numpy as np
import polars as pl

from etl_job.recommender.audience import row_bands, suited
from etl_job.recommender.features import ContentFeatures
from etl_job.recommender.movies import MovieIndex
from etl_job.recommender.popularity import popular_neighbours
from etl_job.recommender.similarity import top_k_neighbours
from etl_job.recommender.train import NEIGHBOURS_SCHEMA

# Candidates per list before the audience rule: enough that cutting the unsuited leaves top_k.
CANDIDATE_FACTOR = 4


def show_neighbours(*, index: MovieIndex, features: ContentFeatures, top_k: int,
                    threads: int | None = None) -> pl.DataFrame:
    """The top_k shows most similar to every show of `index` (content cosine divided by the
    query's best, so 1.0 is its closest show, as the movies' blended scores are). Reasons are
    left null: they are written after the platform cut, for the rows kept
    (etl_job.recommender.depth)."""
    # Cut from suited candidates only (recommender.audience), so a kids' show's list stays
    # deep when its closest shows are adult-rated.
    content = top_k_neighbours(matrix=features.matrix, rows=np.arange(index.size),
                               groups=index.groups, k=CANDIDATE_FACTOR * top_k, threads=threads)
    bands = row_bands(index)
    content = (suited(content, bands=bands)
               .filter(pl.int_range(0, pl.len()).over("query") < top_k))
    content = _fill_with_newest(content, index=index, bands=bands, top_k=top_k)
    # A list of fill rows only has a best of 0: its scores stay 0, not NaN.
    scored = content.with_columns(score=(pl.col("score") / pl.col("score").max().over("query"))
                                  .fill_nan(0.0))
    ids = pl.Series("id", index.ids, dtype=pl.String)
    return pl.DataFrame({
        "movie_id": ids.gather(scored["query"]),
        "rank": scored.select(rank=pl.int_range(1, pl.len() + 1).over("query"))["rank"],
        "neighbour_id": ids.gather(scored["neighbour"]),
        "score": scored["score"],
        "reason": pl.Series([None] * scored.height, dtype=pl.String),
    }).cast(NEIGHBOURS_SCHEMA)


def _fill_with_newest(content: pl.DataFrame, *, index: MovieIndex, bands: np.ndarray,
                      top_k: int) -> pl.DataFrame:
    """Every show's list topped up to top_k with the newest suited shows (score 0): shows have
    no ratings to rank by popularity, and a show that shares no word with any show it suits
    would otherwise get no list at all."""
    counts = dict(content.group_by("query").len().iter_rows())
    short = np.array([row for row in range(index.size) if counts.get(row, 0) < top_k])
    if len(short) == 0:
        return content
    years = index.movies["release_year"].fill_null(0).to_numpy()
    newest = np.lexsort((np.arange(index.size), -years))
    existing = {q: set(ns) for q, ns in content.filter(pl.col("query").is_in(short.tolist()))
                .group_by("query").agg(pl.col("neighbour")).iter_rows()}
    fill = [popular_neighbours(order=newest, groups=index.groups, rows=np.array([row]),
                               k=top_k - counts.get(int(row), 0), existing=existing, bands=bands)
            for row in short]
    rows = pl.concat([content, *(f.select(content.columns).cast(content.schema) for f in fill)])
    return rows.sort("query", maintain_order=True)
