"""The model step of a run: evaluate offline, train the chosen blend, stage it in Redis."""

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from contracts.redis_layout import RedisLayout
from contracts.schema import NEIGHBOURS_FILE, TASTE_FILE

from etl_job.errors import EtlError
from etl_job.films import film_table
from etl_job.gates import PublicationGates
from etl_job.progress import detail, stage
from etl_job.publish import commit_version, connect, discard_version, stage_version
from etl_job.recommender import Blend, BlendDominated, EvaluationReport, evaluate, train
from etl_job.recommender.coherence import list_figures
from etl_job.recommender.depth import published_lists
from etl_job.recommender.evaluate import MAX_QUERIES
from etl_job.recommender.movies import RatedMatrix, index_movies, index_ratings
from etl_job.recommender.report import lists_line, series_lines, taste_lines
from etl_job.recommender.series_eval import series_evaluation
from etl_job.recommender.taste_eval import taste_on_split
from etl_job.republish import model_titles, reconcile_redis, version_meta
from etl_job.runs import log_step

# Candidates ranked per title before the platform cut (etl_job.recommender.depth) keeps the 20
# best and the 10 best on every platform.
TOP_K = 50
# Below this many evaluation queries the hit rates say nothing (the hand-written sample has
# none): the guard cannot judge, so the run ships DEFAULT_BLEND and says so.
MIN_QUERIES = 100
DEFAULT_BLEND = Blend(ease=1.0, bm25=0.5, content=1.0, lam=500.0)


@dataclass(frozen=True)
class ModelStep:
    """What the model step needs beyond the frames: where to publish, and the split seed."""

    redis_url: str
    key_prefix: str
    seed: int = 42
    min_queries: int = MIN_QUERIES
    # Queries the offline evaluation scores at most (EVAL_MAX_QUERIES).
    max_queries: int = MAX_QUERIES
    # The run's publication gates: the movies with neighbours are compared before publishing.
    gates: PublicationGates | None = None
    cluster: bool = False
    # Redis retention and memory budget checked when staging (publish.stage_version).
    retired_kept: int | None = None
    memory_budget_bytes: int | None = None
    # Threads of the recommender's parallel parts (RECOMMENDER_THREADS; None: the usable CPUs).
    threads: int | None = None

    def __call__(
        self,
        *,
        catalog: pl.DataFrame,
        ratings: pl.LazyFrame,
        ratings_kept: int,
        run_id: str,
        staging: Path,
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """Evaluate, train, keep the neighbours in the run, stage them in Redis (not current).

        `ratings` is a scan of the run's ratings.parquet: each stage reads it in chunks into
        its own compact matrix. Returns the manifest sections and the seconds per stage.
        """
        return train_and_stage(
            catalog=catalog,
            ratings=ratings,
            ratings_kept=ratings_kept,
            run_id=run_id,
            staging=staging,
            step=self,
        )

    def switch(self, *, version: str) -> None:
        """Make the staged version Redis' `current` (after the run's symlink switched)."""
        with connect(self.redis_url, cluster=self.cluster) as client:
            commit_version(
                client,
                layout=RedisLayout(self.key_prefix),
                version=version,
                retired_kept=self.retired_kept,
            )

    def reconcile(self, *, output_dir: Path) -> None:
        """Before a run: finish what a killed one left (Redis follows the current run)."""
        try:
            done = reconcile_redis(
                output_dir=output_dir,
                redis_url=self.redis_url,
                key_prefix=self.key_prefix,
                cluster=self.cluster,
                retired_kept=self.retired_kept,
                memory_budget_bytes=self.memory_budget_bytes,
            )
        except EtlError as exc:  # an old run that cannot be republished: this run replaces it
            print(f"etl-job: warning: {exc}", flush=True)
            return
        if done.action in ("switched", "republished"):
            print(f"etl-job: repaired: {done.sentence()}", flush=True)

    def discard(self, *, version: str) -> None:
        """Drop a failed run's staged keys (best effort; their build TTL is the backstop)."""
        with connect(self.redis_url, cluster=self.cluster) as client:
            discard_version(client, layout=RedisLayout(self.key_prefix), version=version)


def train_and_stage(
    *,
    catalog: pl.DataFrame,
    ratings: pl.LazyFrame,
    ratings_kept: int,
    run_id: str,
    staging: Path,
    step: ModelStep,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Offline evaluation picks the blend (BlendDominated stops the run), then train.

    The version id is the run id, so the run and its Redis version name each other.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with stage("evaluating", "the recommender on held-out ratings, to pick the blend") as said:
        # One read of ratings.parquet into the compact matrix, for evaluation and training.
        rated = index_ratings(ratings=ratings, index=index_movies(catalog=catalog))
        report, verdict = judged_evaluation(
            catalog=catalog,
            ratings=rated,
            seed=step.seed,
            min_queries=step.min_queries,
            max_queries=step.max_queries,
            threads=step.threads,
        )
        blend = Blend(**report.blend_settings) if verdict == "passed" else DEFAULT_BLEND
        said["done"] = shipped_figures(report, verdict)
    seconds["evaluate"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    with stage("training", "the shipped blend's neighbours of every title") as said:
        facts: dict[str, Any] = {}
        taste_frames: list[pl.DataFrame] = []
        neighbours = train(
            catalog=catalog,
            ratings=rated,
            blend=blend,
            top_k=TOP_K,
            facts=facts,
            threads=step.threads,
            taste=taste_frames,
        )
        taste_table = taste_frames[0] if taste_frames else None
        films = film_table(catalog)
        neighbours = published_lists(
            catalog=catalog, movies=neighbours, films=films, depth=TOP_K, threads=step.threads
        )
        said["done"] = f"{neighbours['movie_id'].n_unique():,} titles with neighbours"
    seconds["train"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    with stage(
        "checking lists", "series' next films, cold start, tastes of several titles"
    ) as said:
        series = series_evaluation(
            catalog=catalog,
            ratings=rated,
            neighbours=neighbours,
            films=films,
            blend=blend,
            seed=step.seed,
        )
        detail(series_lines(series))
        taste = taste_on_split(catalog=catalog, ratings=rated, blend=blend, seed=step.seed)
        detail(taste_lines(taste))
        said["done"] = (
            f"{series['known_series']['hit_rate']:.1%} of the listed series' films "
            "show another of their series"
        )
    seconds["series_evaluation"] = round(time.perf_counter() - started, 3)
    del rated
    if step.gates is not None:
        step.gates.check_model(neighbours)

    evaluation = {
        **report.as_dict(),
        "verdict": verdict,
        "series": series,
        "taste": taste,
        "lists": list_figures(neighbours, catalog=catalog),
    }
    print(lists_line(evaluation), flush=True)
    model = {
        "kind": "hybrid: EASE (numpy/scipy) + BM25 item-item (implicit) + TF-IDF content "
        "(scikit-learn), blended",
        "run_id": run_id,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "blend_weight": blend.label,
        "blend": asdict(blend),
        **facts,
        "evaluation_verdict": verdict,
        "top_k": TOP_K,
        "movies": neighbours["movie_id"].n_unique(),
        "ratings": ratings_kept,
    }
    neighbours.write_parquet(staging / NEIGHBOURS_FILE)
    if taste_table is not None:
        taste_table.write_parquet(staging / TASTE_FILE)
    log_step("neighbours_written")
    started = time.perf_counter()
    sections = {
        "model": model,
        "evaluation": evaluation,
        "redis": {"version": run_id, "key_prefix": step.key_prefix},
    }
    with (
        stage("publishing", "the neighbour lists to Redis (made current once the run is)"),
        connect(step.redis_url, cluster=step.cluster) as client,
    ):
        stage_version(
            client,
            layout=RedisLayout(step.key_prefix),
            version=run_id,
            neighbours=neighbours,
            titles=model_titles(catalog),
            meta=version_meta(sections),
            taste=taste_table,
            retired_kept=step.retired_kept,
            memory_budget_bytes=step.memory_budget_bytes,
        )
    seconds["publish"] = round(time.perf_counter() - started, 3)
    log_step("redis_staged")
    return sections, seconds


def shipped_figures(report: EvaluationReport, verdict: str) -> str:
    """The evaluated blend's three figures, for the line that ends the evaluation."""
    blend, k = report.blend, report.k
    figures = (
        f"HR@{k} {blend.hr_at_k:.3f}, tail HR@{k} {blend.tail_hr_at_k:.3f}, "
        f"NDCG@10 {blend.ndcg_at_10:.3f}"
    )
    if verdict != "passed":
        return f"{figures}; too few queries to judge, the default blend ships"
    return f"{figures} for the shipped blend; -v prints the table"


def judged_evaluation(
    *,
    catalog: pl.DataFrame,
    ratings: pl.DataFrame | pl.LazyFrame | RatedMatrix,
    seed: int,
    min_queries: int = MIN_QUERIES,
    max_queries: int = MAX_QUERIES,
    threads: int | None = None,
) -> tuple[EvaluationReport, str]:
    """The report and its verdict: "passed", or "inconclusive" when there are too few queries.

    A dominated blend on enough queries raises BlendDominated, which stops the run.
    """
    try:
        report = evaluate(
            catalog=catalog, ratings=ratings, seed=seed, max_queries=max_queries, threads=threads
        )
    except BlendDominated as exc:
        if exc.report.blend.queries >= min_queries:
            raise
        report = exc.report
    detail(report.table())
    if report.blend.queries >= min_queries:
        return report, "passed"
    print(
        f"etl-job: warning: the offline evaluation has {report.blend.queries} queries "
        f"(fewer than {min_queries}), too few to judge the blend; shipping the default "
        f"{DEFAULT_BLEND.label}",
        flush=True,
    )
    return report, "inconclusive"
