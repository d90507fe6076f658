"""The catalog step: four platform files and the ratings in, one run directory out."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl
from contracts.domain import Platform
from contracts.schema import (
    CATALOG_FILE,
    MANIFEST_FILE,
    NEIGHBOURS_FILE,
    QUARANTINE_FILE,
    RATINGS_FILE,
    SCHEMA_VERSION,
    SERIES_FILE,
    TASTE_FILE,
)

from etl_job import transform
from etl_job.catalog_reader import RawCatalog, read_platform_file
from etl_job.errors import InputFileMissing, SwitchPending
from etl_job.gates import PublicationGates, ShrinkRefused
from etl_job.manifest import describe_files, fix_table, rows_per_platform, write_manifest
from etl_job.progress import stage
from etl_job.quarantine import count_by_reason, write_quarantine
from etl_job.ratings import load_ratings, ratings_files, ratings_header
from etl_job.recommender.series import detect_series
from etl_job.runs import (
    clean_killed_runs,
    discard_run,
    finish_run,
    keep_refused_quarantine,
    log_step,
    new_run_id,
    prune_runs,
    run_lock,
    start_run,
)

DEFAULT_KEEP_RUNS = 3
RUN_FILES = (CATALOG_FILE, RATINGS_FILE, QUARANTINE_FILE, SERIES_FILE, NEIGHBOURS_FILE, TASTE_FILE)


class ModelStep(Protocol):
    """Trains and stages the model before the run becomes current, switches it after.

    See model_step.py; the version it stages is named by the run id.
    """

    def __call__(
        self,
        *,
        catalog: pl.DataFrame,
        ratings: pl.LazyFrame,
        ratings_kept: int,
        run_id: str,
        staging: Path,
    ) -> tuple[dict[str, Any], dict[str, float]]: ...

    def switch(self, *, version: str) -> None: ...

    def discard(self, *, version: str) -> None: ...

    def reconcile(self, *, output_dir: Path) -> None: ...


class Stopwatch:
    """Seconds spent in each stage of a run, for the manifest."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self._last, 3)
        self._last = now


@dataclass(frozen=True)
class CleanPlatform:
    """One platform after every catalog fix, before the ratings are joined."""

    platform: Platform
    frame: pl.DataFrame
    quarantine: pl.DataFrame
    fixes: dict[str, int]
    has_score: bool


def clean_platform(raw: RawCatalog) -> CleanPlatform:
    """Apply the catalog transformations in order, counting each fix."""
    frame, trimmed = transform.trim_whitespace(raw.frame)
    frame, nameless = transform.drop_names_without_letters(frame)
    frame = transform.lowercase_text(transform.keep_display_text(frame))
    frame, invalid = transform.reject_invalid_rows(frame)
    frame, duplicates = transform.drop_duplicate_ids(transform.add_ids(frame))
    frame = transform.add_age_band(frame)
    frame, moved = transform.move_duration_from_rating(frame)
    frame, null_rating = transform.fill_missing_rating(frame)
    frame, bad_dates, missing_dates = transform.parse_dates(frame)
    frame, bad_durations = transform.split_duration(frame)
    frame, bad_scores = transform.parse_score(frame)
    fixes = {
        "whitespace_trimmed": trimmed,
        "duplicate_ids": duplicates.height,
        "duration_moved_from_rating": moved,
        "null_rating_to_g": null_rating,
        "date_unparseable": bad_dates,
        "date_missing": missing_dates,
        "duration_unparseable": bad_durations,
        "score_invalid": bad_scores,
        "names_without_letters": nameless,
        "placeholder_titles": transform.count_placeholders(frame),
    }
    quarantine = pl.concat([raw.quarantine, invalid, duplicates])
    return CleanPlatform(raw.platform, frame, quarantine, fixes, raw.has_score)


def input_paths(data_dir: Path) -> tuple[list[Path], list[Path]]:
    """The four platform files and the ratings files; stops early on anything missing."""
    if not data_dir.is_dir():
        raise InputFileMissing(data_dir, "data folder DATA_DIR")
    catalogs = [data_dir / platform.source_file for platform in Platform]
    for path in catalogs:
        if not path.is_file():
            raise InputFileMissing(path, "catalog file")
    ratings = ratings_files(data_dir)
    for path in ratings:
        ratings_header(path)
    return catalogs, ratings


def score_note(
    platforms: list[CleanPlatform], catalog: pl.DataFrame, derived: dict[str, int]
) -> str:
    """The sentence the manifest carries about where scores came from."""
    parts = []
    for clean in platforms:
        if clean.has_score:
            continue
        name = clean.platform.value
        titles = catalog.filter(pl.col("platform") == name).height
        parts.append(
            f"{clean.platform.source_file} has no score column, so the score of each {name} title "
            f"is its mean user rating x 20 (0-100, rounded half away from zero); "
            f"{derived[name]} of {titles} {name} titles have ratings, the rest have a null score."
        )
    return " ".join(parts) or "Every platform file has a score column; scores come from the files."


def _write_run(
    *,
    staging: Path,
    run_id: str,
    catalogs: list[Path],
    ratings_paths: list[Path],
    started: float,
    input_hashes: Any,
    model_step: ModelStep | None,
    gates: PublicationGates,
) -> None:
    stages = Stopwatch()
    with stage("reading", "the four catalog files") as said:
        raws = [read_platform_file(path, p) for path, p in zip(catalogs, Platform, strict=True)]
        said["done"] = f"{sum(raw.frame.height for raw in raws):,} rows"
    with stage("cleaning", "whitespace, case, dates, durations, duplicates") as said:
        platforms = [clean_platform(raw) for raw in raws]
        cleaned = pl.concat([clean.frame for clean in platforms], how="diagonal_relaxed")
        said["done"] = f"{cleaned.height:,} titles kept"
    stages.lap("catalog")
    with stage("ratings", "reading and checking the ratings files") as said:
        # Streamed into the run's ratings.parquet: the accepted rows are never held in memory.
        ratings = load_ratings(ratings_paths, cleaned["id"], out=staging / RATINGS_FILE)
        said["done"] = f"{ratings.kept:,} kept, {ratings.refused.height:,} refused"
    stages.lap("ratings")
    with stage("writing", "the catalog, its series and the quarantine") as said:
        catalog = transform.join_rating_stats(cleaned, ratings.stats)
        derived: dict[str, int] = {}
        parts = []
        for clean in platforms:
            name = clean.platform.value
            part, derived[name] = transform.derive_score(catalog.filter(pl.col("platform") == name))
            parts.append(part)
        catalog = transform.to_catalog_schema(pl.concat(parts))
        catalog_refused = pl.concat([clean.quarantine for clean in platforms])
        # Written before the gates: a refused run keeps the rows that explain its drop.
        write_quarantine([catalog_refused, ratings.refused], staging / QUARANTINE_FILE)
        gates.check_data(catalog=catalog, ratings=ratings)
        catalog.write_parquet(staging / CATALOG_FILE)
        series = detect_series(catalog)
        series.write_parquet(staging / SERIES_FILE)
        said["done"] = f"{series['series_id'].n_unique():,} series found"
    stages.lap("write")
    log_step("files_written")
    model_sections: dict[str, Any] = {}
    model_seconds: dict[str, float] = {}
    if model_step is not None:
        model_sections, model_seconds = model_step(
            catalog=catalog,
            ratings=ratings.valid,
            ratings_kept=ratings.kept,
            run_id=run_id,
            staging=staging,
        )
        stages.lap("model")

    fixes = {
        c.platform.value: {**c.fixes, "score_derived_from_ratings": derived[c.platform.value]}
        for c in platforms
    }
    outputs = describe_files([staging / n for n in RUN_FILES if (staging / n).is_file()], staging)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "data_version": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_seconds": None,
        "rows": {
            "catalog": catalog.height,
            "ratings": ratings.kept,
            "quarantine": catalog_refused.height + ratings.refused.height,
            "catalog_by_platform": rows_per_platform(catalog),
        },
        "score_source": {
            clean.platform.value: "file" if clean.has_score else "ratings" for clean in platforms
        },
        "score_note": score_note(platforms, catalog, derived),
        "series": {"series": series["series_id"].n_unique(), "films": series["film"].n_unique()},
        "fixes": fix_table(fixes),
        "rejections": {
            name: {"total": refused.height, "by_reason": count_by_reason(refused)}
            for name, refused in (("catalog", catalog_refused), ("ratings", ratings.refused))
        },
        "inputs": input_hashes.result(),
        "outputs": outputs,
        **model_sections,
        "gates": gates.report(),
    }
    stages.lap("checksums")
    manifest["run_seconds"] = round(time.perf_counter() - started, 3)
    stages.laps.pop("model", None)
    manifest["stage_seconds"] = {**stages.laps, **model_seconds}
    write_manifest(manifest, staging / MANIFEST_FILE)
    log_step("manifest_written")


def build_catalog(
    *,
    data_dir: Path,
    output_dir: Path,
    keep_runs: int = DEFAULT_KEEP_RUNS,
    model_step: ModelStep | None = None,
    gates: PublicationGates | None = None,
) -> Path:
    """Run the catalog step (then the model step, if given) into output_dir/runs/<run_id>.

    One commit order (docs/operations.md names each boundary, logged by
    runs.log_step): everything is written into runs/<id>.partial and the
    model staged in Redis first; then the run is renamed, synced and `current` switched to it
    (the commit point); then Redis' `current` follows. A failure before the commit point
    removes the run's folder and staged keys and leaves both `current`s as they were; a crash
    after it is finished by `etl-job repair` or the next run, which start by reconciling.
    The publication gates (etl_job.gates, default settings unless given) stop a run on
    truncated input or too large a shrink.
    """
    started = time.perf_counter()
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    catalogs, ratings_paths = input_paths(data_dir)
    gates = gates if gates is not None else PublicationGates().against(output_dir)
    gates.check_inputs(catalogs, ratings_paths)
    with run_lock(output_dir):
        killed = clean_killed_runs(output_dir=output_dir)
        if model_step is not None:
            for version in killed.uncommitted:  # staged, never current: drop its keys now
                model_step.discard(version=version)
            model_step.reconcile(output_dir=output_dir)
        run_id = new_run_id()
        staging = start_run(output_dir=output_dir, run_id=run_id)
        # Hashing ~300 MB of inputs is I/O and hashlib (no GIL): overlap it with the Polars work.
        with ThreadPoolExecutor(max_workers=1) as pool:
            input_hashes = pool.submit(describe_files, [*catalogs, *ratings_paths], data_dir)
            try:
                _write_run(
                    staging=staging,
                    run_id=run_id,
                    catalogs=catalogs,
                    ratings_paths=ratings_paths,
                    started=started,
                    input_hashes=input_hashes,
                    model_step=model_step,
                    gates=gates,
                )
                run_dir = finish_run(output_dir=output_dir, staging=staging)
            except BaseException as exc:
                kept = (
                    keep_refused_quarantine(output_dir=output_dir, staging=staging, keep=keep_runs)
                    if isinstance(exc, ShrinkRefused)
                    else None
                )
                discard_run(staging=staging)
                if model_step is not None:
                    model_step.discard(version=run_id)
                if kept is not None:
                    raise ShrinkRefused(
                        f"{exc}; the rows this run quarantined are kept in {kept}"
                    ) from exc
                raise
        log_step("current_switched")
        if model_step is not None:
            try:
                model_step.switch(version=run_id)
            except Exception as exc:  # committed on disk: roll forward, never back
                raise SwitchPending(run_dir, exc) from exc
        prune_runs(output_dir=output_dir, keep=keep_runs)
        log_step("pruned")
    return run_dir
