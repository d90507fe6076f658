"""The `etl-job` command: one subcommand per step, settings from the environment."""

import argparse
import sys
from collections.abc import Callable, Sequence

from contracts.redaction import redact_text
from pydantic import ValidationError
from redis.exceptions import RedisError

from etl_job.config import Settings
from etl_job.errors import EtlError, SwitchPending
from etl_job.gates import PublicationGates, ShrinkRefused
from etl_job.progress import report_stages

EXIT_BAD_INPUT = 2
EXIT_MODEL_REJECTED = 3
EXIT_SHRINK_REFUSED = 4
Handler = Callable[[argparse.Namespace], int]


class SettingsError(EtlError):
    """A setting is missing or not valid."""


def load_settings() -> Settings:
    """Settings from the environment, with one readable sentence when one is missing or bad."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            if error["type"] == "missing":
                problems.append(f"setting {name} is required (set the environment variable)")
            else:
                problems.append(f"setting {name}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None


def require_redis_url(settings: Settings, command: str) -> str:
    if not settings.redis_url:
        raise SettingsError(
            f"setting REDIS_URL is required by `etl-job {command}`, which "
            "writes to Redis (set the environment variable)"
        )
    return settings.redis_url


def publication_gates(settings: Settings, args: argparse.Namespace) -> PublicationGates:
    """The run's gates, against the current run, with the shrink allowed by the settings."""
    return PublicationGates(
        max_shrink=settings.max_shrink,
        accept_shrink=settings.accept_shrink or bool(getattr(args, "accept_shrink", False)),
        max_platform_shrink=settings.max_platform_shrink,
        max_vanished_share=settings.max_vanished_share,
    ).against(settings.output_dir)


def run_all(args: argparse.Namespace) -> int:
    """`etl-job run`: catalog and ratings, offline evaluation, training, publish to Redis."""
    from etl_job.model_step import ModelStep
    from etl_job.pipeline import build_catalog  # Polars loads only when a step runs
    from etl_job.recommender import BlendDominated

    settings = load_settings()
    gates = publication_gates(settings, args)
    step = ModelStep(
        redis_url=require_redis_url(settings, "run"),
        key_prefix=settings.redis_key_prefix,
        seed=settings.train_seed,
        max_queries=settings.eval_max_queries,
        gates=gates,
        cluster=settings.redis_cluster,
        threads=settings.recommender_threads,
        retired_kept=settings.redis_retired_versions,
        memory_budget_bytes=settings.redis_memory_budget_mb * 1024 * 1024,
    )
    try:
        run_dir = build_catalog(
            data_dir=settings.data_dir,
            output_dir=settings.output_dir,
            keep_runs=settings.keep_runs,
            model_step=step,
            gates=gates,
        )
    except BlendDominated as exc:
        print(exc.report.table())
        print(
            f"etl-job: error: {exc}; the run was discarded, `current` is unchanged", file=sys.stderr
        )
        return EXIT_MODEL_REJECTED
    print(f"etl-job: run written to {run_dir} (now current)")
    return 0


def run_catalog(args: argparse.Namespace) -> int:
    """`etl-job catalog`: the catalog and ratings step alone (no model, no Redis)."""
    from etl_job.pipeline import build_catalog

    settings = load_settings()
    run_dir = build_catalog(
        data_dir=settings.data_dir,
        output_dir=settings.output_dir,
        keep_runs=settings.keep_runs,
        gates=publication_gates(settings, args),
    )
    print(f"etl-job: catalog run written to {run_dir} (now current)")
    return 0


def run_evaluate(_: argparse.Namespace) -> int:
    """`etl-job evaluate`: the offline evaluation of the current run's data, as a table."""
    import polars as pl
    from contracts.schema import CATALOG_FILE, CURRENT_LINK, RATINGS_FILE

    from etl_job.model_step import judged_evaluation
    from etl_job.recommender import BlendDominated

    settings = load_settings()
    current = settings.output_dir / CURRENT_LINK
    if not (current / CATALOG_FILE).is_file():
        raise SettingsError(
            f"no current run in OUTPUT_DIR={settings.output_dir}: "
            "run `etl-job run` (or `etl-job catalog`) first"
        )
    try:
        _report, verdict = judged_evaluation(
            catalog=pl.read_parquet(current / CATALOG_FILE),
            ratings=pl.scan_parquet(current / RATINGS_FILE),
            seed=settings.train_seed,
            max_queries=settings.eval_max_queries,
            threads=settings.recommender_threads,
        )
    except BlendDominated as exc:
        print(exc.report.table())
        print(f"etl-job: error: {exc}", file=sys.stderr)
        return EXIT_MODEL_REJECTED
    print(f"etl-job: evaluation {verdict}")
    return 0


def run_rollback(_: argparse.Namespace) -> int:
    """`etl-job rollback`: the previous run and model version become current again, both
    halves or neither (a refusal exits 2 and says why)."""
    from etl_job.republish import roll_back
    from etl_job.runs import run_lock

    settings = load_settings()
    redis_url = require_redis_url(settings, "rollback")
    with run_lock(settings.output_dir):
        _clean_killed_runs(settings)
        version = roll_back(
            output_dir=settings.output_dir,
            redis_url=redis_url,
            key_prefix=settings.redis_key_prefix,
            cluster=settings.redis_cluster,
        )
    print(f"etl-job: current run and model version are now {version}")
    return 0


def _clean_killed_runs(settings: Settings) -> None:
    """Under the run lock: remove what killed runs left, drop their staged Redis keys."""
    from contracts.redis_layout import RedisLayout

    from etl_job.publish import connect, discard_version
    from etl_job.runs import clean_killed_runs

    cleaned = clean_killed_runs(output_dir=settings.output_dir)
    if cleaned.names():
        print(f"etl-job: removed what killed runs left: {', '.join(cleaned.names())}")
    if cleaned.uncommitted and settings.redis_url:
        layout = RedisLayout(settings.redis_key_prefix)
        with connect(settings.redis_url, cluster=settings.redis_cluster) as client:
            for version in cleaned.uncommitted:
                discard_version(client, layout=layout, version=version)


def _reconcile(settings: Settings, command: str) -> str:
    from etl_job.republish import reconcile_redis

    done = reconcile_redis(
        output_dir=settings.output_dir,
        redis_url=require_redis_url(settings, command),
        key_prefix=settings.redis_key_prefix,
        cluster=settings.redis_cluster,
        retired_kept=settings.redis_retired_versions,
        memory_budget_bytes=settings.redis_memory_budget_mb * 1024 * 1024,
    )
    return done.sentence()


def run_publish(_: argparse.Namespace) -> int:
    """`etl-job publish`: load the current run's stored neighbours into Redis, make it current."""
    from etl_job.runs import run_lock

    settings = load_settings()
    with run_lock(settings.output_dir):
        print(f"etl-job: {_reconcile(settings, 'publish')}")
    return 0


def run_repair(args: argparse.Namespace) -> int:
    """`etl-job repair`: clean what killed runs left, then make Redis follow the current run."""
    import time

    from etl_job.runs import RunInProgress, run_lock

    settings = load_settings()
    while True:
        try:
            with run_lock(settings.output_dir):
                _clean_killed_runs(settings)
                print(f"etl-job: {_reconcile(settings, 'repair')}", flush=True)
        except RunInProgress as exc:  # the running job finishes its own switch
            print(f"etl-job: {exc}; nothing repaired", flush=True)
        if not args.every:
            return 0
        time.sleep(args.every)


COMMANDS: dict[str, tuple[str, Handler]] = {
    "run": (
        "clean DATA_DIR into a new run in OUTPUT_DIR, evaluate and train the recommender, "
        "publish it to Redis; the run becomes current only if every step succeeds",
        run_all,
    ),
    "catalog": (
        "only clean the catalogs and ratings into a new run (no model, no Redis)",
        run_catalog,
    ),
    "evaluate": (
        "print the offline evaluation of the recommender on the current run's data",
        run_evaluate,
    ),
    "rollback": (
        "switch the current run and Redis back to the previous model version (both or neither)",
        run_rollback,
    ),
    "publish": (
        "load the current run's stored neighbours into Redis and make them current "
        "(seconds, no retraining): after Redis lost its data",
        run_publish,
    ),
    "repair": (
        "finish what a killed run left: remove runs/*.partial and renamed runs that "
        "never became current, make Redis follow the run `current` names "
        "(republishing it if Redis lost it)",
        run_repair,
    ),
}


# The commands that write a run, and so pass the publication gates.
SHRINK_GATED = ("run", "catalog")
VERBOSE_HELP = (
    "also print the offline evaluation's table and the series figures (the manifest keeps them "
    "either way)"
)
ACCEPT_SHRINK_HELP = (
    "publish even if a figure fell by more than MAX_SHRINK (default 10%%) against the current "
    "run (rows per platform and type, ratings kept, movies with neighbours), a platform's rows "
    "by more than MAX_PLATFORM_SHRINK (2%%), or more than MAX_VANISHED_SHARE (1%%) of the "
    "ratings name movies the current run has and this one lacks"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etl-job",
        description="Batch steps of the recommendation platform. "
        "Settings come from the environment: DATA_DIR, OUTPUT_DIR, REDIS_URL, "
        "REDIS_CLUSTER, REDIS_KEY_PREFIX, REDIS_MEMORY_BUDGET_MB, REDIS_RETIRED_VERSIONS, "
        "KEEP_RUNS, TRAIN_SEED, MAX_SHRINK, MAX_PLATFORM_SHRINK, MAX_VANISHED_SHARE, "
        "ACCEPT_SHRINK.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, handler) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        if name in SHRINK_GATED:
            command.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
            command.add_argument("--accept-shrink", action="store_true", help=ACCEPT_SHRINK_HELP)
        if name == "repair":
            every = "repeat every SECONDS (a guard beside Redis); default: once"
            command.add_argument("--every", type=_seconds, default=0, metavar="SECONDS", help=every)
    return parser


def _seconds(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 86400:
        raise argparse.ArgumentTypeError(f"--every got {text!r}; give whole seconds, 1-86400")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; bad input exits 2 with one line on stderr."""
    args = build_parser().parse_args(argv)
    # `evaluate` exists to print the table; a run prints it when asked (-v).
    report_stages(verbose=getattr(args, "verbose", False) or args.command == "evaluate")
    try:
        return int(args.handler(args))
    except ShrinkRefused as exc:
        return _fail(f"{exc}; the run was discarded, `current` is unchanged", EXIT_SHRINK_REFUSED)
    except EtlError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except SwitchPending as exc:
        return _fail(str(exc), 1)
    except RedisError as exc:
        return _fail(f"Redis is unavailable ({exc}); nothing was switched", 1)
    except OSError as exc:
        return _fail(str(exc), 1)


def _fail(message: str, code: int) -> int:
    """One line on stderr, with any URL's password (REDIS_URL's) replaced by ***."""
    print(redact_text(f"etl-job: error: {message}"), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
