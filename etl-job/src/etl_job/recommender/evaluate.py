"""Offline evaluation on held-out users: every single signal and every blend tried, one shipped."""

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from etl_job.recommender.audience import row_bands, suited
from etl_job.recommender.blend import Blend, blend_neighbours, reference_scores
from etl_job.recommender.collaborative import BM25_B, BM25_K1, POSITIVE_RATING
from etl_job.recommender.ease import LAMBDA_GRID, MAX_ITEMS, EaseModel, fit_ease
from etl_job.recommender.features import FIELD_WEIGHTS, ContentFeatures, build_content_features
from etl_job.recommender.metrics import NDCG_K, RESAMPLES, score_model
from etl_job.recommender.movies import MovieIndex, RatedMatrix, index_movies, index_ratings
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
    SecondSplit,
    choose_blend,
    ease_name,
)
from etl_job.recommender.similarity import top_per_query
from etl_job.recommender.tail import HEAD_SIZE, WINDOW, reserve_tail
from etl_job.recommender.train import CANDIDATES, ease_list, signal_lists

# (ease, bm25, content) weights tried at every lambda and tail share. Content stays >= 0.3: the
# protocol cannot count a hit on a film nobody rated, so it would always prefer less content,
# and 0.1 left 5 of 51 unrated follow-ups of liked films out of their top 5.
WEIGHT_GRID: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.0, 0.3),
    (1.0, 0.2, 0.5),
    (1.0, 0.5, 1.0),
)
# Places of every 5 kept for films outside the head (recommender.tail).
TAIL_GRID: tuple[int, ...] = (0, 1, 2)
LIKED_RATING = 4.0
TAIL_CUTOFF = HEAD_SIZE
# Queries scored at most (whole held-out users drawn at random): the cost stays bounded as
# ratings grow, and the HR@5 interval is still ~0.02 wide.
MAX_QUERIES = 20_000
HOLDOUT_FRACTION = 0.2


def split_users(
    *, ratings: RatedMatrix, seed: int, holdout_fraction: float
) -> tuple[RatedMatrix, RatedMatrix]:
    """(training, held-out) ratings: a seeded random `holdout_fraction` of users is held out."""
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be between 0 and 1, got {holdout_fraction}")
    users = ratings.users  # ascending, each with at least one rating
    held_count = round(len(users) * holdout_fraction)
    if held_count == 0 or held_count == len(users):
        raise ValueError(
            f"cannot hold out {holdout_fraction:g} of {len(users)} users and keep "
            "both sides non-empty"
        )
    held = np.random.default_rng(seed).permutation(users)[:held_count]
    is_held = np.isin(users, held)
    return (ratings.of_users(np.flatnonzero(~is_held)), ratings.of_users(np.flatnonzero(is_held)))


def sample_users(
    *, liked: pl.DataFrame, seed: int, max_queries: int
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Whole users in a seeded random order while their queries fit in `max_queries` (at
    least one): their liked rows and the sample's size."""
    if max_queries < 1:
        raise ValueError(f"max_queries must be at least 1, got {max_queries}")
    per_user = liked.group_by("user_id").len().sort("user_id")
    order = np.random.default_rng(seed).permutation(per_user.height)
    counts = per_user["len"].to_numpy()[order]
    fits = np.cumsum(counts) <= max_queries
    fits[:1] = True
    users = per_user["user_id"].to_numpy()[order][fits]
    sample = liked.filter(pl.col("user_id").is_in(pl.Series(users).implode()))
    return sample, {
        "held_out_queries": liked.height,
        "sampled_users": len(users),
        "sampled_queries": sample.height,
        "max_queries": max_queries,
    }


@dataclass(frozen=True)
class Split:
    """One held-out split: the training ratings and what is scored against them."""

    seed: int
    train: RatedMatrix
    held_out: RatedMatrix
    # user_id, row: the sampled held-out users' liked movies (the queries).
    liked: pl.DataFrame
    sample: dict[str, int]
    # The queried movies, the training head (most rated) and the popularity fill order.
    rows: np.ndarray
    head: set[int]
    order: np.ndarray


def make_split(
    *,
    index: MovieIndex,
    rated: RatedMatrix,
    seed: int,
    holdout_fraction: float = HOLDOUT_FRACTION,
    max_queries: int = MAX_QUERIES,
    tail_cutoff: int = TAIL_CUTOFF,
) -> Split:
    """The seeded split of `rated` (index_ratings' matrix) and its sampled queries."""
    train, held_out = split_users(ratings=rated, seed=seed, holdout_fraction=holdout_fraction)
    all_liked = held_out.frame(LIKED_RATING).select("user_id", "row")
    liked, sample = sample_users(liked=all_liked, seed=seed, max_queries=max_queries)
    return Split(
        seed=seed,
        train=train,
        held_out=held_out,
        liked=liked,
        sample=sample,
        rows=index.without_placeholder_rows(np.sort(liked["row"].unique().to_numpy())),
        head=most_rated(ratings=train, count=tail_cutoff),
        order=index.without_placeholder_rows(popularity_order(ratings=train, n_movies=index.size)),
    )


def shipped_lists(
    *, blended: pl.DataFrame, tail: int, split: Split, index: MovieIndex, depth: int
) -> pl.DataFrame:
    """What a blend ships, `depth` deep: its deeper ranking with the tail share kept and short
    lists filled with popular films, as train does."""
    kept = (
        reserve_tail(blended, head=split.head, slots=tail)
        .group_by("query", maintain_order=True)
        .head(depth)
    )
    return fill_short_lists(
        neighbours=kept,
        order=split.order,
        groups=index.groups,
        rows=split.rows,
        k=depth,
        bands=row_bands(index),
    )


def evaluate(
    *,
    catalog: pl.DataFrame,
    ratings: pl.DataFrame | pl.LazyFrame | RatedMatrix,
    seed: int = 42,
    holdout_fraction: float = HOLDOUT_FRACTION,
    k: int = 5,
    lambdas: Sequence[float] = LAMBDA_GRID,
    weights: Sequence[tuple[float, float, float]] = WEIGHT_GRID,
    tails: Sequence[int] = TAIL_GRID,
    tail_cutoff: int = TAIL_CUTOFF,
    max_queries: int = MAX_QUERIES,
    max_items: int = MAX_ITEMS,
    resamples: int = RESAMPLES,
    threads: int | None = None,
) -> EvaluationReport:
    """Score popularity, content, BM25, EASE per lambda and every blend; ship one by the rule,
    scored again on a second split (seed + 1, every model trained again on its users, the first
    split's content lists kept). Raises BlendDominated (carrying the report) when a single
    signal dominates every blend."""
    if not weights or not lambdas or not tails:
        raise ValueError("weights, lambdas and tails must name at least one blend")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if any(not 0 <= t <= WINDOW for t in tails):
        raise ValueError(f"tail shares must be 0 to {WINDOW}, got {list(tails)}")
    blends = [
        Blend(ease=e, bm25=b, content=c, lam=float(lam), tail=t)
        for lam in lambdas
        for e, b, c in weights
        for t in tails
    ]
    per_lambda = len(weights) * len(tails)
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    split, second = (
        make_split(
            index=index,
            rated=rated,
            seed=s,
            holdout_fraction=holdout_fraction,
            max_queries=max_queries,
            tail_cutoff=tail_cutoff,
        )
        for s in (seed, seed + 1)
    )
    depth, bands = max(k, NDCG_K), row_bands(index)
    deep = max(CANDIDATES, depth)  # what a blend ranks before the tail share and the cut

    def score(name: str, recommendations: pl.DataFrame, on: Split = split) -> ModelScore:
        return score_model(
            name=name,
            recommendations=recommendations,
            liked=on.liked,
            head=on.head,
            k=k,
            recommendable=len(index.recommendable_rows()),
            seed=on.seed,
            resamples=resamples,
        )

    grid: list[ModelScore] = []
    left_out, ease_seconds = 0, 0.0
    # Each EASE solve on one BLAS thread (train.py says why).
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        lists = signal_lists(
            index=index, features=features, ratings=split.train, rows=split.rows, threads=threads
        )
        popular = popular_neighbours(
            order=split.order, groups=index.groups, rows=split.rows, k=depth
        )
        baselines = [score(POPULARITY, popular)] + [
            score(name, top_per_query(neighbours=found, k=depth))
            for name, found in ((CONTENT, lists.content), (BM25, lists.bm25))
        ]
        models = fit_ease(
            ratings=split.train,
            lambdas=[b.lam for b in blends[::per_lambda]],
            max_items=max_items,
            threads=threads,
        )
        for start in range(0, len(blends), per_lambda):
            fitting = time.perf_counter()
            model = next(models, None)
            ease_seconds += time.perf_counter() - fitting
            candidates = ease_list(model=model, index=index, rows=split.rows, candidates=CANDIDATES)
            if model is None:  # nobody liked anything in training: BM25 + content only
                blends = blends[:per_lambda]
            else:
                left_out = model.left_out
                baselines.append(
                    score(ease_name(model.lam), top_per_query(neighbours=candidates, k=depth))
                )
            # As train does: the audience rule is shipped.
            pairs = suited(
                lists.pairs(ease=candidates, model=model, features=features), bands=bands
            )
            references = reference_scores(pairs)
            for at in range(start, start + per_lambda, len(tails)):
                same_weights = blends[at : at + len(tails)]  # one ranking, cut per tail share
                blended = blend_neighbours(
                    pairs=pairs, blend=same_weights[0], references=references, k=deep
                )
                for b in same_weights:
                    ranked = shipped_lists(
                        blended=blended, tail=b.tail, split=split, index=index, depth=depth
                    )
                    grid.append(score(b.label, ranked))
            if model is None:
                break
    shipped, undominated = choose_blend(grid=grid, baselines=baselines)
    again, _ = retrained_lists(
        index=index,
        split=second,
        blend=blends[shipped],
        depth=depth,
        features=features,
        known_content=lists.content,
        bands=bands,
        max_items=max_items,
        threads=threads,
    )
    report = EvaluationReport(
        baselines=tuple(baselines),
        grid=tuple(grid),
        grid_settings=tuple(asdict(b) for b in blends),
        shipped=shipped,
        k=k,
        seed=seed,
        holdout_fraction=holdout_fraction,
        train_users=split.train.n_users,
        held_out_users=split.held_out.n_users,
        liked_rating=LIKED_RATING,
        tail_cutoff=tail_cutoff,
        sample=split.sample,
        second_split=SecondSplit(
            seed=second.seed,
            held_out_users=second.held_out.n_users,
            score=score(blends[shipped].label, again, second),
        ),
        parameters={
            "collaborative_model": "implicit.nearest_neighbours.BM25Recommender",
            "bm25_k1": BM25_K1,
            "bm25_b": BM25_B,
            "positive_rating": POSITIVE_RATING,
            "ease_lambdas_tried": [float(lam) for lam in lambdas],
            "tail_shares_tried": [f"{t} of {WINDOW}" for t in tails],
            "ease_max_items": max_items,
            "ease_movies_left_out": left_out,
            "ease_fit_seconds": round(ease_seconds, 3),
            "content_field_weights": dict(FIELD_WEIGHTS),
            "candidates_per_signal": CANDIDATES,
            "bootstrap_resamples": resamples,
        },
    )
    if not undominated:
        raise BlendDominated(report)
    return report


def retrained_lists(
    *,
    index: MovieIndex,
    split: Split,
    blend: Blend,
    depth: int,
    features: ContentFeatures | None = None,
    known_content: pl.DataFrame | None = None,
    bands: np.ndarray | None = None,
    max_items: int = MAX_ITEMS,
    threads: int | None = None,
) -> tuple[pl.DataFrame, EaseModel | None]:
    """`blend` trained again on `split`'s training ratings: its lists of the split's rows as
    shipped, `depth` deep (the audience rule with `bands`), and its EASE model."""
    with threadpool_limits(limits=1, user_api="blas"):
        features = features or build_content_features(movies=index.movies)
        lists = signal_lists(
            index=index,
            features=features,
            ratings=split.train,
            rows=split.rows,
            known_content=known_content,
            threads=threads,
        )
        model = next(
            fit_ease(
                ratings=split.train, lambdas=[blend.lam], max_items=max_items, threads=threads
            ),
            None,
        )
    ease = ease_list(model=model, index=index, rows=split.rows, candidates=CANDIDATES)
    pairs = lists.pairs(ease=ease, model=model, features=features)
    if bands is not None:
        pairs = suited(pairs, bands=bands)
    blended = blend_neighbours(
        pairs=pairs, blend=blend, references=reference_scores(pairs), k=max(CANDIDATES, depth)
    )
    return shipped_lists(
        blended=blended, tail=blend.tail, split=split, index=index, depth=depth
    ), model
