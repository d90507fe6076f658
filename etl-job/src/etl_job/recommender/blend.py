"""Blend EASE, BM25 item-item and content candidates into one ranked neighbour list per movie."""

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from etl_job.recommender.ease import EaseModel
from etl_job.recommender.similarity import pair_scores, top_per_query
from etl_job.recommender.tail import WINDOW

SIGNALS = ("ease", "bm25", "content")
# Each signal's score is divided by the larger of the query's best and this quantile of its
# positive scores, so a strong match keeps its strength while a query with weak evidence does
# not blow its best weak neighbour up to 1 (docs/recommender.md).
REFERENCE_QUANTILES = {"ease": 0.97, "bm25": 0.97, "content": 0.999}

KEYS = pl.Schema({"query": pl.Int32, "neighbour": pl.Int32})
PAIR_SCHEMA = pl.Schema({**KEYS, **dict.fromkeys(SIGNALS, pl.Float64())})
# Per row: the blended score and each signal's weighted share of it.
BLEND_SCHEMA = pl.Schema({**KEYS, "score": pl.Float64(), **dict.fromkeys(SIGNALS, pl.Float64())})


@dataclass(frozen=True)
class Blend:
    """Weights of the three signals, the EASE lambda, and how many of every 5 places go to films
    outside the most-rated head (recommender.tail)."""

    ease: float
    bm25: float
    content: float
    lam: float
    tail: int = 0

    def __post_init__(self) -> None:
        weights = (self.ease, self.bm25, self.content)
        if any(w < 0 for w in weights) or not any(weights):
            raise ValueError(f"blend weights must be >= 0 and not all 0, got {weights}")
        if self.lam <= 0:
            raise ValueError(f"the EASE lambda must be positive, got {self.lam}")
        if not 0 <= self.tail <= WINDOW:
            raise ValueError(
                f"the tail share must be 0 to {WINDOW} of {WINDOW} places, got {self.tail}"
            )

    @property
    def label(self) -> str:
        share = f", {self.tail} of {WINDOW} outside the head" if self.tail else ""
        return (
            f"blend ease {self.ease:g} + bm25 {self.bm25:g} + content {self.content:g} "
            f"(λ {self.lam:g}){share}"
        )


def candidate_pairs(
    *,
    content: pl.DataFrame,
    bm25: pl.DataFrame,
    ease: pl.DataFrame,
    features: sparse.csr_matrix,
    ease_model: EaseModel | None,
) -> pl.DataFrame:
    """Every candidate any signal proposed, with each signal's raw score: the exact cosine, the
    exact EASE weight (null where nobody liked either movie), BM25's score where it listed the
    pair, else 0 when both movies were liked and null when not."""
    pairs = (
        pl.concat([frame.select("query", "neighbour") for frame in (content, bm25, ease)])
        .cast(KEYS)
        .unique(maintain_order=True)
        .join(
            content.select("query", "neighbour", pl.col("score").alias("listed")).cast(KEYS),
            on=["query", "neighbour"],
            how="left",
        )
    )
    left, right = pairs["query"].to_numpy(), pairs["neighbour"].to_numpy()
    missing = pairs["listed"].is_null().to_numpy()
    exact_content = pairs["listed"].fill_null(0.0).to_numpy().astype(np.float64)
    exact_content[missing] = pair_scores(matrix=features, left=left[missing], right=right[missing])
    if ease_model is not None:
        exact_ease = ease_model.pair_scores(left=left, right=right)
    else:
        exact_ease = np.full(len(left), np.nan)
    pairs = pairs.with_columns(
        content=pl.Series(exact_content, dtype=pl.Float64),
        ease=pl.Series(exact_ease, dtype=pl.Float64, nan_to_null=True),
    )
    known = pl.col("ease").is_not_null() if ease_model is not None else pl.lit(True)
    return (
        pairs.join(
            bm25.select("query", "neighbour", pl.col("score").alias("bm25")).cast(KEYS),
            on=["query", "neighbour"],
            how="left",
        )
        .with_columns(bm25=pl.when(known).then(pl.col("bm25").fill_null(0.0)))
        .select(list(PAIR_SCHEMA))
        .cast(PAIR_SCHEMA)
    )


def reference_scores(pairs: pl.DataFrame) -> dict[str, float]:
    """Per signal, the REFERENCE_QUANTILES quantile of its positive scores (0 when none), over
    the queries someone liked (the catalog's near-copies among unrated films would inflate it)."""
    liked = pairs.filter(pl.col("ease").is_not_null().any().over("query"))
    pairs = liked if liked.height else pairs
    positive = {signal: pairs[signal].filter(pairs[signal] > 0) for signal in SIGNALS}
    return {
        signal: float(found.quantile(REFERENCE_QUANTILES[signal]) or 0.0)
        for signal, found in positive.items()
    }


def blend_neighbours(
    *, pairs: pl.DataFrame, blend: Blend, references: dict[str, float], k: int
) -> pl.DataFrame:
    """The k best candidates per query by Σ weight x score / max(query's best, reference); a
    signal that cannot score a pair adds nothing, negative EASE weights count as 0."""
    shares = {}
    for signal in SIGNALS:
        score = pl.col(signal).fill_null(0.0).clip(lower_bound=0.0)
        scale = pl.max_horizontal(score.max().over("query"), pl.lit(references[signal]))
        shares[signal] = (
            pl.when(scale > 0).then(float(getattr(blend, signal)) * score / scale).otherwise(0.0)
        )
    if references["content"] > 0:
        # A neighbour nobody liked matched at least as strongly as the content reference (a
        # sequel's directors, cast and story) is scored as if every signal agreed with its
        # content share: otherwise a movie nobody rated could never outrank a weakly tied one.
        total = blend.ease + blend.bm25 + blend.content
        factor = total / blend.content if blend.content > 0 else 0.0
        unscorable = pl.col("ease").is_null() & pl.col("bm25").is_null()
        strong = unscorable & (pl.col("content") >= references["content"])
        shares["content"] = (
            pl.when(strong).then(shares["content"] * factor).otherwise(shares["content"])
        )
    scored = (
        pairs.with_columns(**shares)
        .with_columns(score=pl.sum_horizontal(*SIGNALS))
        .filter(pl.col("score") > 0)
    )
    return top_per_query(neighbours=scored, k=k).select(list(BLEND_SCHEMA)).cast(BLEND_SCHEMA)
