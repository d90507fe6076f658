"""Offline evaluation on held-out users: every single signal and every blend tried, one shipped."""

import time
from collections.abc import Iterator, Sequence

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from etl_job.recommender.blend import (
    Blend,
    blend_neighbours,
    candidate_pairs,
    reference_scores,
    top_per_query,
)
from etl_job.recommender.collaborative import BM25_B, BM25_K1, POSITIVE_RATING
from etl_job.recommender.ease import LAMBDA_GRID, MAX_ITEMS, EaseModel, fit_ease
from etl_job.recommender.features import FIELD_WEIGHTS, build_content_features
from etl_job.recommender.metrics import NDCG_K, RESAMPLES, score_model
from etl_job.recommender.movies import index_movies, index_ratings
from etl_job.recommender.popularity import (
    fill_short_lists,
    most_rated,
    popular_neighbours,
    popularity_order,
)
from etl_job.recommender.report import (
    BM25,
    CONTENT,
    POPULARITY,
    BlendDominated,
    EvaluationReport,
    ModelScore,
    choose_blend,
    ease_name,
)
from etl_job.recommender.train import CANDIDATES, ease_list, signal_lists

# (ease, bm25, content) weights tried at every lambda of LAMBDA_GRID.
WEIGHT_GRID: tuple[tuple[float, float, float], ...] = tuple(
    (1.0, bm25, content) for bm25 in (0.0, 0.2, 0.5) for content in (0.3, 0.5, 1.0))
LIKED_RATING = 4.0
TAIL_CUTOFF = 100
# Queries scored at most (whole held-out users, drawn at random): the evaluation's cost stays
# bounded as ratings grow, and 20,000 queries still give an HR@5 interval ~0.02 wide.
MAX_QUERIES = 20_000

__all__ = ["LIKED_RATING", "MAX_QUERIES", "WEIGHT_GRID", "BlendDominated", "EvaluationReport",
           "ModelScore", "evaluate", "sample_users", "split_users"]


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


def sample_users(*, liked: pl.DataFrame, seed: int,
                 max_queries: int) -> tuple[pl.DataFrame, dict[str, int]]:
    """Whole users, in a seeded random order, while their queries fit in `max_queries`.

    Returns their liked rows and the sample's size (at least one user is kept).
    """
    if max_queries < 1:
        raise ValueError(f"max_queries must be at least 1, got {max_queries}")
    per_user = liked.group_by("user_id").len().sort("user_id")
    order = np.random.default_rng(seed).permutation(per_user.height)
    counts = per_user["len"].to_numpy()[order]
    fits = np.cumsum(counts) <= max_queries
    fits[:1] = True
    users = per_user["user_id"].to_numpy()[order][fits]
    sample = liked.filter(pl.col("user_id").is_in(pl.Series(users).implode()))
    return sample, {"held_out_queries": liked.height, "sampled_users": len(users),
                    "sampled_queries": sample.height, "max_queries": max_queries}


def evaluate(*, catalog: pl.DataFrame, ratings: pl.DataFrame, seed: int = 42,
             holdout_fraction: float = 0.2, k: int = 5,
             lambdas: Sequence[float] = LAMBDA_GRID,
             weights: Sequence[tuple[float, float, float]] = WEIGHT_GRID,
             tail_cutoff: int = TAIL_CUTOFF, max_queries: int = MAX_QUERIES,
             max_items: int = MAX_ITEMS, resamples: int = RESAMPLES) -> EvaluationReport:
    """Score popularity, content, BM25, EASE per lambda and every blend; ship one by the rule.

    Raises BlendDominated (carrying the report) when a single signal dominates every blend.
    """
    if not weights or not lambdas:
        raise ValueError("weights and lambdas must name at least one blend")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    blends = [Blend(ease=e, bm25=b, content=c, lam=float(lam))
              for lam in lambdas for e, b, c in weights]
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    train_ratings, held_out = split_users(ratings=rated, seed=seed,
                                          holdout_fraction=holdout_fraction)
    all_liked = held_out.filter(pl.col("rating") >= LIKED_RATING).select("user_id", "row")
    liked, sample = sample_users(liked=all_liked, seed=seed, max_queries=max_queries)
    rows = index.without_placeholder_rows(np.sort(liked["row"].unique().to_numpy()))
    head = most_rated(ratings=train_ratings, count=tail_cutoff)
    order = index.without_placeholder_rows(popularity_order(ratings=train_ratings,
                                                            n_movies=index.size))
    depth = max(k, NDCG_K)
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        lists = signal_lists(index=index, features=features, ratings=train_ratings, rows=rows,
                             candidates=CANDIDATES)

    def score(name: str, recommendations: pl.DataFrame) -> ModelScore:
        return score_model(name=name, recommendations=recommendations, liked=liked, head=head,
                           k=k, recommendable=len(index.recommendable_rows()), seed=seed,
                           resamples=resamples)

    baselines = [
        score(POPULARITY, popular_neighbours(order=order, groups=index.groups, rows=rows,
                                             k=depth)),
        score(CONTENT, top_per_query(neighbours=lists.content, k=depth)),
        score(BM25, top_per_query(neighbours=lists.bm25, k=depth)),
    ]
    grid: list[ModelScore] = []
    models = _single_threaded(fit_ease(ratings=train_ratings,
                                       lambdas=[b.lam for b in blends[::len(weights)]],
                                       max_items=max_items))
    left_out = 0
    fitting = time.perf_counter()
    ease_seconds = 0.0
    for lam_blends, model in zip(_chunks(blends, len(weights)), models, strict=False):
        ease_seconds += time.perf_counter() - fitting
        left_out = model.left_out
        candidates = ease_list(model=model, index=index, rows=rows, candidates=CANDIDATES)
        baselines.append(score(ease_name(model.lam), top_per_query(neighbours=candidates,
                                                                   k=depth)))
        pairs = candidate_pairs(content=lists.content, bm25=lists.bm25, ease=candidates,
                                features=features.matrix, ease_model=model)
        references = reference_scores(pairs)
        for blend in lam_blends:
            blended = fill_short_lists(
                neighbours=blend_neighbours(pairs=pairs, blend=blend, references=references,
                                            k=depth),
                order=order, groups=index.groups, rows=rows, k=depth)
            grid.append(score(blend.label, blended))
        fitting = time.perf_counter()
    if not grid:  # nobody liked anything in training: no EASE, the blends are BM25 + content
        pairs = candidate_pairs(content=lists.content, bm25=lists.bm25,
                                ease=lists.bm25.clear(), features=features.matrix,
                                ease_model=None)
        blends = blends[:len(weights)]
        references = reference_scores(pairs)
        grid = [score(b.label, fill_short_lists(
            neighbours=blend_neighbours(pairs=pairs, blend=b, references=references, k=depth),
            order=order, groups=index.groups, rows=rows, k=depth)) for b in blends]
    shipped, undominated = choose_blend(grid=grid, baselines=baselines)
    report = EvaluationReport(
        baselines=tuple(baselines), grid=tuple(grid),
        grid_settings=tuple({"ease": b.ease, "bm25": b.bm25, "content": b.content,
                             "lam": b.lam} for b in blends),
        shipped=shipped, k=k, seed=seed, holdout_fraction=holdout_fraction,
        train_users=train_ratings["user_id"].n_unique(),
        held_out_users=held_out["user_id"].n_unique(),
        liked_rating=LIKED_RATING, tail_cutoff=tail_cutoff, sample=sample,
        parameters={
            "collaborative_model": "implicit.nearest_neighbours.BM25Recommender",
            "bm25_k1": BM25_K1, "bm25_b": BM25_B, "positive_rating": POSITIVE_RATING,
            "ease_lambdas_tried": [float(lam) for lam in lambdas],
            "ease_max_items": max_items, "ease_movies_left_out": left_out,
            "ease_fit_seconds": round(ease_seconds, 3),
            "content_field_weights": dict(FIELD_WEIGHTS), "candidates_per_signal": CANDIDATES,
            "bootstrap_resamples": resamples,
        })
    if not undominated:
        raise BlendDominated(report)
    return report


def _single_threaded(models: Iterator[EaseModel]) -> Iterator[EaseModel]:
    """Each EASE solve with one BLAS thread (see train.py: two spin on a loaded small box)."""
    while True:
        with threadpool_limits(limits=1, user_api="blas"):
            model = next(models, None)
        if model is None:
            return
        yield model


def _chunks(items: Sequence[Blend], size: int) -> list[Sequence[Blend]]:
    return [items[start:start + size] for start in range(0, len(items), size)]
