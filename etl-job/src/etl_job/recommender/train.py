"""Training: EASE, BM25 and content neighbours for every catalog movie, blended, with reasons."""

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from etl_job.recommender.audience import row_bands, suited, suited_ids
from etl_job.recommender.blend import Blend, blend_neighbours, candidate_pairs, reference_scores
from etl_job.recommender.collaborative import collaborative_neighbours
from etl_job.recommender.ease import MAX_ITEMS, EaseModel, fit_ease
from etl_job.recommender.features import ContentFeatures, build_content_features
from etl_job.recommender.movies import MovieIndex, RatedMatrix, index_movies, index_ratings
from etl_job.recommender.popularity import (
    fill_short_lists,
    liked_rows,
    most_rated,
    popularity_order,
)
from etl_job.recommender.reasons import explain
from etl_job.recommender.series import with_series
from etl_job.recommender.similarity import NEIGHBOUR_SCHEMA, top_k_neighbours
from etl_job.recommender.tail import HEAD_SIZE, reserve_tail
from etl_job.recommender.taste import taste_rows

log = logging.getLogger(__name__)

# Each signal proposes this many candidates per movie before the blend keeps the top k.
CANDIDATES = 50


@dataclass(frozen=True)
class SignalLists:
    """Each signal's candidates (query, neighbour, score) for some query rows."""

    content: pl.DataFrame
    bm25: pl.DataFrame

    def pairs(
        self, *, ease: pl.DataFrame, model: EaseModel | None, features: ContentFeatures
    ) -> pl.DataFrame:
        """These and EASE's candidates (`ease`, from `model`) as scored pairs (candidate_pairs)."""
        return candidate_pairs(
            content=self.content,
            bm25=self.bm25,
            ease=ease,
            features=features.matrix,
            ease_model=model,
        )


def signal_lists(
    *,
    index: MovieIndex,
    features: ContentFeatures,
    ratings: RatedMatrix,
    rows: np.ndarray,
    candidates: int = CANDIDATES,
    known_content: pl.DataFrame | None = None,
    threads: int | None = None,
) -> SignalLists:
    """Content and BM25 candidate frames for the given rows, placeholder titles left out;
    `known_content` (lists found with the same features and `candidates`) is kept for the rows
    it covers."""
    rows = np.asarray(rows, dtype=np.int64)
    known = pl.DataFrame(schema=NEIGHBOUR_SCHEMA) if known_content is None else known_content
    known = known.filter(pl.col("query").is_in(pl.Series(rows).implode())).cast(NEIGHBOUR_SCHEMA)
    missing = rows[~np.isin(rows, known["query"].to_numpy())]
    found = top_k_neighbours(
        matrix=features.matrix, rows=missing, groups=index.groups, k=candidates, threads=threads
    )
    content = pl.concat([known, found.cast(NEIGHBOUR_SCHEMA)]).sort("query", maintain_order=True)
    bm25 = collaborative_neighbours(
        ratings=ratings, groups=index.groups, rows=rows, k=candidates, threads=threads
    )
    return SignalLists(
        content=index.without_placeholders(content), bm25=index.without_placeholders(bm25)
    )


def ease_list(
    *, model: EaseModel | None, index: MovieIndex, rows: np.ndarray, candidates: int
) -> pl.DataFrame:
    """EASE's candidates for the rows (none without a model), placeholder titles left out."""
    if model is None:
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    return index.without_placeholders(
        model.neighbours(groups=index.groups, rows=rows, k=candidates)
    )


def train(
    *,
    catalog: pl.DataFrame,
    ratings: pl.DataFrame | pl.LazyFrame | RatedMatrix,
    blend: Blend,
    top_k: int = 20,
    max_items: int = MAX_ITEMS,
    facts: dict[str, Any] | None = None,
    threads: int | None = None,
    taste: list[pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """The top_k blended neighbours of every catalog movie but placeholders, with reasons and
    the series step. `facts` receives the EASE stage's figures, `taste` the sparse top-k of
    EASE's B (taste_rows); `threads`: of the parallel parts (default: the usable CPUs)."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    started = time.perf_counter()
    index = index_movies(catalog=catalog)
    rated = index_ratings(ratings=ratings, index=index)
    rows = index.recommendable_rows()
    candidates = max(CANDIDATES, top_k)
    # One BLAS thread, EASE's solve included: on the loaded 2-core box two OpenBLAS threads
    # spun against the other processes (54-65 s for the 6,000-movie solve against 17-22 s).
    with threadpool_limits(limits=1, user_api="blas"):
        features = build_content_features(movies=index.movies)
        lists = signal_lists(
            index=index,
            features=features,
            ratings=rated,
            rows=rows,
            candidates=candidates,
            threads=threads,
        )
        ease_started = time.perf_counter()
        model = next(
            fit_ease(
                ratings=rated,
                lambdas=[blend.lam],
                max_items=max_items,
                keep_co_likes=True,
                threads=threads,
            ),
            None,
        )
    if facts is not None:
        facts["ease"] = {
            "seconds": round(time.perf_counter() - ease_started, 3),
            "movies": 0 if model is None else len(model.movies),
            "movies_left_out": 0 if model is None else model.left_out,
            "max_movies": max_items,
            "lambda": blend.lam,
        }
    pairs = lists.pairs(
        ease=ease_list(model=model, index=index, rows=rows, candidates=candidates),
        model=model,
        features=features,
    )
    # Audience first: lists cut from suited candidates stay deep.
    bands = row_bands(index)
    pairs = suited(pairs, bands=bands)
    blended = reserve_tail(
        blend_neighbours(pairs=pairs, blend=blend, references=reference_scores(pairs), k=top_k),
        head=most_rated(ratings=rated, count=HEAD_SIZE),
        slots=blend.tail,
    )
    del pairs
    order = index.without_placeholder_rows(popularity_order(ratings=rated, n_movies=index.size))
    blended = fill_short_lists(
        neighbours=blended, order=order, groups=index.groups, rows=rows, k=top_k, bands=bands
    )
    left, right = blended["query"].to_numpy(), blended["neighbour"].to_numpy()
    no_model = np.zeros(len(left), dtype=bool)
    co_liked = no_model if model is None else model.co_like_counts(left=left, right=right) > 0
    if taste is not None:
        # Each row keeps only titles suited to its film's audience, as its list does.
        taste.append(suited_ids(taste_rows(model=model, index=index), index=index, bands=bands))
    del model
    reasons = explain(
        movies=index.movies,
        features=features,
        neighbours=blended.with_columns(co_liked=pl.Series(co_liked)),
        liked_rows=liked_rows(ratings=rated),
    )
    neighbours = with_series(neighbours=index.published(blended, reasons), catalog=catalog)
    liked, seconds = lists.bm25["query"].n_unique(), time.perf_counter() - started
    log.info("trained neighbours for %d movies (%d liked) in %.1fs", len(rows), liked, seconds)
    return neighbours
