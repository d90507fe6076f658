"""A taste scored as one: EASE scores a viewer who liked films L as Σ_{i in L} B[i, :]; the
service sums the liked films' rows of B cut to their TASTE_K largest weights (taste_eval
measures what the cut costs)."""

import numpy as np
import polars as pl

from etl_job.recommender.ease import EaseModel
from etl_job.recommender.movies import NEIGHBOURS_SCHEMA, MovieIndex

# Positive weights kept per row of B: 50 to 400 all matched the dense fold-in's HR@10.
TASTE_K = 50
# The largest stored weight: every weight is scaled by one factor to put it there.
TASTE_TOP = 100.0
TASTE_REASON = "people who liked what you liked also liked this"


def taste_rows(*, model: EaseModel | None, index: MovieIndex, k: int = TASTE_K) -> pl.DataFrame:
    """Per movie the model knows, its row of B cut to the k largest positive weights, scaled
    by one factor so the largest is TASTE_TOP (NEIGHBOURS_SCHEMA)."""
    if model is None:
        return pl.DataFrame(schema=NEIGHBOURS_SCHEMA)
    top = index.without_placeholders(
        model.neighbours(groups=index.groups, rows=index.recommendable_rows(), k=k)
    )
    # Stored scores keep 4 decimals; the weights are ~1e-4 to 1e-2.
    if top.height:
        top = top.with_columns(score=pl.col("score") * (TASTE_TOP / pl.col("score").max()))
    return index.published(top, [TASTE_REASON] * top.height)


def sparse_rows(weights: np.ndarray, *, groups: np.ndarray, k: int) -> np.ndarray:
    """B with each row cut to its k largest positive weights outside its own film, the rest 0."""
    scores = np.where(groups[:, None] == groups[None, :], -np.inf, weights)
    k = min(k, weights.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    kept = np.zeros_like(weights)
    values = np.take_along_axis(weights, top, axis=1)
    np.put_along_axis(kept, top, np.clip(values, 0, None), axis=1)
    return kept


def fold_in(
    weights: np.ndarray, *, liked: np.ndarray, groups: np.ndarray, depth: int
) -> np.ndarray:
    """The first `depth` columns by Σ weights[liked, :], the liked films left out."""
    scores = weights[liked].sum(axis=0)
    scores[np.isin(groups, groups[liked])] = -np.inf
    return np.argsort(-scores, kind="stable")[:depth]
