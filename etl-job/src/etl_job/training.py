"""The model step of a run: evaluate offline, train at the chosen weight, publish to Redis."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from etl_job.gates import PublicationGates
from etl_job.publish import publish_neighbours
from etl_job.recommender import BlendDominated, EvaluationReport, evaluate, train

TOP_K = 20
# Below this many evaluation queries the hit rates say nothing (the hand-written sample has
# none): the guard cannot judge, so the run ships DEFAULT_BLEND_WEIGHT and says so.
MIN_QUERIES = 100
DEFAULT_BLEND_WEIGHT = 0.6


@dataclass(frozen=True)
class ModelStep:
    """What the model step needs beyond the frames: where to publish, and the split seed."""

    redis_url: str
    key_prefix: str
    seed: int = 42
    min_queries: int = MIN_QUERIES
    # The run's publication gates: the movies with neighbours are compared before publishing.
    gates: PublicationGates | None = None

    def __call__(self, *, catalog: pl.DataFrame, ratings: pl.DataFrame,
                 run_id: str) -> tuple[dict[str, Any], dict[str, float]]:
        """Evaluate, train, publish; return the manifest sections and the seconds per stage."""
        return train_and_publish(catalog=catalog, ratings=ratings, run_id=run_id, step=self)


def train_and_publish(*, catalog: pl.DataFrame, ratings: pl.DataFrame, run_id: str,
                      step: ModelStep) -> tuple[dict[str, Any], dict[str, float]]:
    """Offline evaluation picks the blend weight (BlendDominated stops the run), then ship it."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    report, verdict = judged_evaluation(catalog=catalog, ratings=ratings, seed=step.seed,
                                        min_queries=step.min_queries)
    weight = report.blend_weight if verdict == "passed" else DEFAULT_BLEND_WEIGHT
    seconds["evaluate"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    neighbours = train(catalog=catalog, ratings=ratings, blend_weight=weight, top_k=TOP_K)
    seconds["train"] = round(time.perf_counter() - started, 3)
    if step.gates is not None:
        step.gates.check_model(neighbours)

    evaluation = {**report.as_dict(), "verdict": verdict}
    model = {
        "kind": "hybrid: TF-IDF content (scikit-learn) + BM25 item-item (implicit), blended",
        "run_id": run_id,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "blend_weight": weight,
        "evaluation_verdict": verdict,
        "top_k": TOP_K,
        "movies": neighbours["movie_id"].n_unique(),
        "ratings": ratings.height,
    }
    started = time.perf_counter()
    titles = catalog.filter(pl.col("type") == "movie").select("id", "title")
    version = publish_neighbours(redis_url=step.redis_url, key_prefix=step.key_prefix,
                                 neighbours=neighbours, titles=titles,
                                 meta={**model, "metrics": evaluation})
    seconds["publish"] = round(time.perf_counter() - started, 3)
    print(f"etl-job: model version {version} published under key prefix {step.key_prefix!r}",
          flush=True)
    sections = {"model": model, "evaluation": evaluation,
                "redis": {"version": version, "key_prefix": step.key_prefix}}
    return sections, seconds


def judged_evaluation(*, catalog: pl.DataFrame, ratings: pl.DataFrame, seed: int,
                      min_queries: int = MIN_QUERIES) -> tuple[EvaluationReport, str]:
    """The report and its verdict: "passed", or "inconclusive" when there are too few queries.

    A dominated blend on enough queries raises BlendDominated, which stops the run.
    """
    try:
        report = evaluate(catalog=catalog, ratings=ratings, seed=seed)
    except BlendDominated as exc:
        if exc.report.blend.queries >= min_queries:
            raise
        report = exc.report
    print(report.table(), flush=True)
    if report.blend.queries >= min_queries:
        return report, "passed"
    print(f"etl-job: warning: the offline evaluation has {report.blend.queries} queries "
          f"(fewer than {min_queries}), too few to judge the blend; shipping the default "
          f"blend weight {DEFAULT_BLEND_WEIGHT}", flush=True)
    return report, "inconclusive"
