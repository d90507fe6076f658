"""Offline evaluation on held-out users: HR@k and tail HR@k of each signal and of the blend."""

from collections.abc import Sequence

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from etl_job.recommender.blend import blend_neighbours, check_weight, top_per_query
from etl_job.recommender.collaborative import BM25_B, BM25_K1, POSITIVE_RATING
from etl_job.recommender.features import FIELD_WEIGHTS, build_content_features
from etl_job.recommender.movies import index_movies, index_ratings
from etl_job.recommender.popularity import (
    fill_short_lists,
    most_rated,
    popular_neighbours,
    popularity_order,
)
from etl_job.recommender.report import (
    BLEND,
    COLLABORATIVE,
    CONTENT,
    POPULARITY,
    BlendDominated,
    EvaluationReport,
    ModelScore,
)
from etl_job.recommender.train import CANDIDATES, candidate_lists

DEFAULT_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)
LIKED_RATING = 4.0
TAIL_CUTOFF = 100

__all__ = ["DEFAULT_WEIGHTS", "BlendDominated", "EvaluationReport", "ModelScore", "choose_weight",
           "evaluate", "hit_rates", "split_users"]


def split_users(*, ratings: pl.DataFrame, seed: int,
                holdout_fraction: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training, held-out) ratings: a seeded random `holdout_fraction` of users is held out."""
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be between 0 and 1, got {holdout_fraction}")
    users = np.sort(ratings["user_id"].unique().to_numpy())
    held_count = round(len(users) * holdout_fraction)
    if held_count == 0 or held_count == len(users):
        raise ValueError(f"cannot hold out {holdout_fraction:g} of {len(users)} users and keep "
                         "both sides non-empty")
    held = np.random.default_rng(seed).permutation(users)[:held_count]
    is_held = pl.col("user_id").is_in(pl.Series(held).implode())
    return ratings.filter(~is_held), ratings.filter(is_held)


def hit_rates(*, name: str, recommendations: pl.DataFrame, liked: pl.DataFrame,
              head: set[int]) -> ModelScore:
    """Share of (user, liked movie) queries whose recommendations hold another movie they liked.

    `recommendations` has query and neighbour rows, `liked` user_id and row; the tail rate
    counts a hit only on a movie outside `head` (the most-rated movies).
    """
    queries = liked.select("user_id", pl.col("row").alias("query")).unique()
    liked_flags = liked.select("user_id", pl.col("row").alias("neighbour"),
                               pl.lit(True).alias("hit")).unique()
    head_rows = pl.Series(sorted(head), dtype=pl.Int32).implode()
    per_query = (queries.join(recommendations.select("query", "neighbour"), on="query", how="left")
                 .join(liked_flags, on=["user_id", "neighbour"], how="left")
                 .with_columns(hit=pl.col("hit").fill_null(False))
                 .with_columns(tail=pl.col("hit") & ~pl.col("neighbour").is_in(head_rows))
                 .group_by("user_id", "query").agg(pl.col("hit").any(), pl.col("tail").any()))
    recommended = recommendations.filter(pl.col("query").is_in(queries["query"].implode()))
    count = per_query.height
    return ModelScore(
        name=name,
        hr_at_k=round(float(per_query["hit"].sum()) / count, 4) if count else 0.0,
        tail_hr_at_k=round(float(per_query["tail"].sum()) / count, 4) if count else 0.0,
        queries=count,
        distinct_recommended=recommended["neighbour"].n_unique(),
    )


def choose_weight(*, grid: dict[float, ModelScore],
                  baselines: Sequence[ModelScore]) -> tuple[float, bool]:
    """(weight, whether any weight is undominated): best HR@k, tail HR@k, smaller weight first."""
    # When every weight is dominated the best of them is still reported, and evaluate raises.
    undominated = {w: s for w, s in grid.items() if not any(b.dominates(s) for b in baselines)}
    candidates = undominated or grid
    weight = max(candidates, key=lambda w: (candidates[w].hr_at_k, candidates[w].tail_hr_at_k, -w))
    return weight, bool(undominated)


def evaluate(*, catalog: pl.DataFrame, ratings: pl.DataFrame, seed: int = 42,
             holdout_fraction: float = 0.2, k: int = 5,
             weights: Sequence[float] = DEFAULT_WEIGHTS,
             tail_cutoff: int = TAIL_CUTOFF) -> EvaluationReport:
    """Score popularity, content, collaborative and the blend per weight; ship the best blend.

    The shipped weight has the best HR@k among the weights whose blend no single-signal
    baseline dominates; raises BlendDominated (carrying the report) when there is none.
    """
    if not weights:
        raise ValueError("weights must name at least one blend weight")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    for weight in weights:
        check_weight(weight)
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    train_ratings, held_out = split_users(ratings=rated, seed=seed,
                                          holdout_fraction=holdout_fraction)
    liked = held_out.filter(pl.col("rating") >= LIKED_RATING).select("user_id", "row")
    rows = np.sort(liked["row"].unique().to_numpy()).astype(np.int64)
    head = most_rated(ratings=train_ratings, count=tail_cutoff)
    order = popularity_order(ratings=train_ratings, n_movies=index.size)
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        content, collab = candidate_lists(index=index, features=features, ratings=train_ratings,
                                          rows=rows, candidates=CANDIDATES)

    def score(name: str, recommendations: pl.DataFrame) -> ModelScore:
        return hit_rates(name=name, recommendations=recommendations, liked=liked, head=head)

    baselines = (
        score(POPULARITY, popular_neighbours(order=order, groups=index.groups, rows=rows, k=k)),
        score(CONTENT, top_per_query(neighbours=content, k=k)),
        score(COLLABORATIVE, top_per_query(neighbours=collab, k=k)),
    )
    grid: dict[float, ModelScore] = {}
    for weight in weights:
        blended = blend_neighbours(content=content, collab=collab, features=features.matrix,
                                   weight=weight, k=k)
        blended = fill_short_lists(neighbours=blended, order=order, groups=index.groups,
                                   rows=rows, k=k)
        grid[float(weight)] = score(BLEND, blended)
    weight, undominated = choose_weight(grid=grid, baselines=baselines)
    report = EvaluationReport(
        baselines=baselines, blend=grid[weight], blend_weight=weight, grid=grid, k=k, seed=seed,
        holdout_fraction=holdout_fraction,
        train_users=train_ratings["user_id"].n_unique(),
        held_out_users=held_out["user_id"].n_unique(),
        liked_rating=LIKED_RATING, tail_cutoff=tail_cutoff,
        parameters={
            "collaborative_model": "implicit.nearest_neighbours.BM25Recommender",
            "bm25_k1": BM25_K1, "bm25_b": BM25_B, "positive_rating": POSITIVE_RATING,
            "content_field_weights": dict(FIELD_WEIGHTS), "candidates_per_signal": CANDIDATES,
            "weights_tried": [float(w) for w in weights],
        })
    if not undominated:
        raise BlendDominated(report)
    return report
