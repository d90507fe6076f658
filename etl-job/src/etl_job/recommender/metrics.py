"""Offline metrics per (user, liked movie) query: HR@k, tail HR@k, NDCG@10, coverage, bootstrap."""

import numpy as np
import polars as pl
from scipy import stats

from etl_job.recommender.report import ModelScore

NDCG_K = 10
RESAMPLES = 1000
LEVEL = 0.95
# Resamples per numpy call: bounds the users x resamples index matrix.
_RESAMPLE_CHUNK = 50


def bootstrap_interval(
    *,
    per_query: pl.DataFrame,
    seed: int,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
) -> tuple[float, float]:
    """Percentile interval of the mean of `hit` over queries, users resampled (a user's
    queries move together: resampling queries would understate it); seeded."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    per_user = (
        per_query.group_by("user_id")
        .agg(hits=pl.col("hit").cast(pl.Float64).sum(), queries=pl.len())
        .sort("user_id")
    )
    if per_user.height == 0:
        return 0.0, 0.0
    hits = per_user["hits"].to_numpy()
    queries = per_user["queries"].to_numpy().astype(np.float64)
    if per_user.height == 1:  # every resample is the one user: no spread (scipy needs two)
        rate = round(float(hits.sum() / queries.sum()), 4)
        return rate, rate

    def hit_rate(hits: np.ndarray, queries: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.sum(hits, axis=axis) / np.sum(queries, axis=axis)

    result = stats.bootstrap(
        (hits, queries),
        hit_rate,
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        batch=_RESAMPLE_CHUNK,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return round(float(interval.low), 4), round(float(interval.high), 4)


def per_query_table(
    *,
    recommendations: pl.DataFrame,
    liked: pl.DataFrame,
    head: set[int],
    k: int,
) -> pl.DataFrame:
    """user_id, query, hit and tail (within the first k), ndcg (within the first NDCG_K) of
    each liked (user_id, row): a hit is another movie the user liked, a tail hit one outside
    `head`."""
    depth = max(k, NDCG_K)
    ranked = (
        recommendations.select(pl.col("query").cast(pl.Int32), pl.col("neighbour").cast(pl.Int32))
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("query"))
        .filter(pl.col("rank") <= depth)
    )
    liked = liked.select(pl.col("user_id"), pl.col("row").cast(pl.Int32)).unique()
    queries = liked.select("user_id", pl.col("row").alias("query"))
    flags = liked.select("user_id", pl.col("row").alias("neighbour"), pl.lit(True).alias("hit"))
    head_rows = pl.Series(sorted(head), dtype=pl.Int32).implode()
    gain = (
        pl.when(pl.col("hit") & (pl.col("rank") <= NDCG_K))
        .then(1.0 / (pl.col("rank").cast(pl.Float64) + 1.0).log(2))
        .otherwise(0.0)
    )
    in_k = pl.col("rank") <= k
    per_query = (
        queries.join(ranked, on="query", how="left")
        .join(flags, on=["user_id", "neighbour"], how="left")
        .with_columns(hit=pl.col("hit").fill_null(False))
        .group_by("user_id", "query")
        .agg(
            tail=(pl.col("hit") & in_k & ~pl.col("neighbour").is_in(head_rows)).any(),
            dcg=gain.sum(),
            hit=(pl.col("hit") & in_k).any(),
        )
    )
    # The best possible list puts the user's other liked movies first.
    discounts = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, NDCG_K + 2)))])
    others = liked.group_by("user_id").agg(others=(pl.len() - 1).clip(0, NDCG_K))
    ideal = {n: float(value) for n, value in enumerate(discounts)}
    return (
        per_query.join(others, on="user_id", how="left")
        .with_columns(
            ideal=pl.col("others").cast(pl.Int64).replace_strict(ideal, return_dtype=pl.Float64)
        )
        .with_columns(
            ndcg=pl.when(pl.col("ideal") > 0).then(pl.col("dcg") / pl.col("ideal")).otherwise(0.0)
        )
        .select("user_id", "query", "hit", "tail", "ndcg")
        .sort("user_id", "query")
    )


def score_model(
    *,
    name: str,
    recommendations: pl.DataFrame,
    liked: pl.DataFrame,
    head: set[int],
    k: int,
    recommendable: int,
    seed: int,
    resamples: int = RESAMPLES,
) -> ModelScore:
    """HR@k, tail HR@k, NDCG@10, the HR@k interval and coverage (distinct movies in the first
    k of the queried movies' lists / `recommendable`) of one model's lists."""
    table = per_query_table(recommendations=recommendations, liked=liked, head=head, k=k)
    count = table.height
    queried = pl.Series(table["query"].unique(), dtype=pl.Int32).implode()
    distinct = (
        recommendations.filter(pl.col("query").is_in(queried))
        .filter(pl.int_range(0, pl.len()).over("query") < k)["neighbour"]
        .n_unique()
    )

    def mean(column: str) -> float:
        return round(float(np.mean(table[column].cast(pl.Float64).to_numpy())), 4) if count else 0.0

    return ModelScore(
        name=name,
        hr_at_k=mean("hit"),
        tail_hr_at_k=mean("tail"),
        queries=count,
        distinct_recommended=distinct,
        ndcg_at_10=mean("ndcg"),
        coverage=round(distinct / recommendable, 4) if recommendable else 0.0,
        hr_interval=bootstrap_interval(per_query=table, seed=seed, resamples=resamples),
    )
