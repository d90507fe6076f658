"""Blend content and collaborative candidates into one ranked neighbour list per movie."""

import polars as pl
from scipy import sparse

from etl_job.recommender.similarity import pair_scores

BLEND_SCHEMA = pl.Schema({"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64,
                          "content": pl.Float64, "collab": pl.Float64})


def check_weight(weight: float) -> None:
    """Refuse a blend weight outside [0, 1]."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"blend_weight must be between 0 and 1, got {weight}")


def blend_neighbours(*, content: pl.DataFrame, collab: pl.DataFrame, features: sparse.csr_matrix,
                     weight: float, k: int) -> pl.DataFrame:
    """weight * collaborative + (1 - weight) * content, each divided by the query's best score.

    Candidates are the union of both lists; a collaborative candidate gets its exact content
    cosine, a content candidate outside the collaborative list counts as 0 there. A query no
    one liked has no collaborative list and keeps its content ranking (score = content only).
    """
    check_weight(weight)
    joined = content.rename({"score": "content"}).join(
        collab.rename({"score": "collab"}), on=["query", "neighbour"], how="full", coalesce=True)
    missing = joined["content"].is_null().to_numpy()
    exact = joined["content"].fill_null(0.0).to_numpy().copy()
    exact[missing] = pair_scores(matrix=features, left=joined["query"].to_numpy()[missing],
                                 right=joined["neighbour"].to_numpy()[missing])
    joined = joined.with_columns(content=pl.Series(exact, dtype=pl.Float64),
                                 collab=pl.col("collab").fill_null(0.0))
    best_content = pl.col("content").max().over("query")
    best_collab = pl.col("collab").max().over("query")
    content_norm = pl.when(best_content > 0).then(pl.col("content") / best_content).otherwise(0.0)
    collab_norm = pl.when(best_collab > 0).then(pl.col("collab") / best_collab).otherwise(0.0)
    score = (pl.when(best_collab > 0)
             .then(weight * collab_norm + (1.0 - weight) * content_norm)
             .otherwise(content_norm))
    return (joined.with_columns(score=score)
            .filter(pl.col("score") > 0)
            .sort(["query", "score", "neighbour"], descending=[False, True, False])
            .group_by("query", maintain_order=True).head(k)
            .select(list(BLEND_SCHEMA))
            .cast(BLEND_SCHEMA))


def top_per_query(*, neighbours: pl.DataFrame, k: int) -> pl.DataFrame:
    """The k best rows per query of a query/neighbour/score frame, best first."""
    return (neighbours.sort(["query", "score", "neighbour"], descending=[False, True, False])
            .group_by("query", maintain_order=True).head(k))

