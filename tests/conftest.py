"""Fixtures shared by every test: data, ETL outputs, real processes, Redis, in-process apps."""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from testkit.apps import AppClient, open_app
from testkit.redis_cluster import RedisCluster

from harness import RedisServer, Service, free_port

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample"
# Tests fire hundreds of requests from one client: no per-client rate limit in the gateways
# they start (in-process or as processes, which inherit this); the rate-limit tests set theirs.
os.environ["RATE_LIMIT"] = ""


def _real_data_dir() -> Path:
    configured = os.environ.get("DATA_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO.parent / "shared" / "data" / "raw")
    for candidate in candidates:
        path = candidate if candidate.is_absolute() else REPO / candidate
        if (path / "netflix_titles.csv").is_file():
            return path.resolve()
    return Path()


REAL_DATA = _real_data_dir()


# How far a test reaches, for `make test-fast` (markers registered in pyproject.toml). A test
# gets e2e when it starts real service processes, a Redis Cluster, the ETL's console script or a
# browser; slow when it reads the real dataset or renders the whole EDA report; deploy under
# tests/deploy; unit otherwise (functions and apps in this process, the tests' own redis-server
# allowed). A module or test may also mark itself.
E2E_FIXTURES = {"start_service", "etl", "browser", "redis_cluster"}
SLOW_FIXTURES = {"real_data_dir", "sample_report"}
DEPLOY_DIR = REPO / "tests" / "deploy"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("COMPOSE_SMOKE_PROJECT"):
        stack_tests = [item for item in items if item.get_closest_marker("compose")]
        if stack_tests:
            config.hook.pytest_deselected(items=stack_tests)
            items[:] = [item for item in items if not item.get_closest_marker("compose")]
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.path.is_relative_to(DEPLOY_DIR):
            item.add_marker(pytest.mark.deploy)
        if fixtures & E2E_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if not any(item.get_closest_marker(name) for name in ("e2e", "deploy", "slow")):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def sample_data_dir() -> Path:
    """The small hand-written dataset under tests/fixtures/sample."""
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real dataset (DATA_DIR, else ../shared/data/raw); never written to."""
    if Path() == REAL_DATA:
        pytest.skip("real dataset not found: set DATA_DIR (CI sets ../shared/data/raw)")
    return REAL_DATA


@pytest.fixture(scope="session")
def sample_catalog_dir(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETL output (run directory) for the hand-written sample."""
    from etl_job.pipeline import build_catalog

    return build_catalog(data_dir=sample_data_dir, output_dir=tmp_path_factory.mktemp("etl-sample"))


@pytest.fixture(scope="session")
def real_catalog_dir(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETL output (run directory) for the real dataset."""
    from etl_job.pipeline import build_catalog

    return build_catalog(data_dir=real_data_dir, output_dir=tmp_path_factory.mktemp("etl-real"))


@pytest.fixture(scope="session")
def unused_port() -> Callable[[], int]:
    return free_port


@pytest.fixture(scope="session")
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Service]]:
    """Factory: start_service("catalog_service.main:create_app", {"CATALOG_PATH": ...}).

    A real uvicorn process (harness.Service), ready once /healthz answers; stopped at the end
    of the session. Its output is in `service.log()`.
    """
    started: list[Service] = []

    def start(app: str, env: dict[str, str], ready_path: str = "/healthz") -> Service:
        name = app.split(".")[0]
        service = Service(name, app, env, tmp_path_factory.mktemp("logs") / f"{name}.log",
                          ready_path=ready_path, cwd=REPO)
        started.append(service)
        service.start(timeout=30)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the tests' own on a free port (harness.RedisServer): never 6379."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A real 3-master Redis Cluster of the tests' own on free loopback ports."""
    cluster = RedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def app_client() -> AppClient:
    """Factory: `async with app_client(create_app(settings)) as client:` the app in-process."""
    return open_app


class HandWrittenModel:
    """A hand-written recommender version over sample titles, published to a test Redis.

    `publish(redis_url, meta=...)` writes it under a fresh key prefix and returns that prefix;
    only ns1 ("the long night") and the show ns4 ("blue waters") have neighbours, best first.
    Each title is on the platform its id's letter names.
    """

    movies: ClassVar[dict[str, str]] = {
        "ns1": "the long night", "ns2": "another long night", "ns3": "short film",
        "ns5": "tango story", "as8": "last tango", "hs7": "night drive",
        "hs8": "morning drive", "ds8": "winter song",
    }
    shows: ClassVar[dict[str, str]] = {
        "ns4": "blue waters", "as9": "the chronicles", "ns6": "quiet town",
    }
    neighbours_of_ns1: ClassVar[list[tuple[str, float, str]]] = [
        ("ns2", 0.91, "shared director: ana ruiz"), ("hs7", 0.80, "shared genres: dramas"),
        ("as8", 0.72, "liked by the same viewers"), ("ns5", 0.64, "shared country: argentina"),
        ("hs8", 0.51, "liked by the same viewers"), ("ds8", 0.40, "shared genres: dramas"),
    ]
    neighbours_of_ns4: ClassVar[list[tuple[str, float, str]]] = [
        ("as9", 0.7, "shared genres: docuseries"), ("ns6", 0.6, "shared country: argentina"),
    ]
    platforms: ClassVar[dict[str, str]] = {"a": "amazon", "d": "disney", "h": "hulu",
                                           "n": "netflix"}

    def publish(self, redis_url: str, *, meta: dict, prefix_name: str = "test") -> str:
        import polars as pl
        from etl_job.publish import publish_neighbours

        prefix = f"{prefix_name}-{uuid.uuid4().hex[:8]}"
        neighbours = pl.DataFrame(
            [{"movie_id": query, "rank": rank, "neighbour_id": other, "score": score,
              "reason": reason}
             for query, ranked in (("ns1", self.neighbours_of_ns1),
                                   ("ns4", self.neighbours_of_ns4))
             for rank, (other, score, reason) in enumerate(ranked, 1)],
            schema={"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
                    "score": pl.Float64, "reason": pl.String})
        kinds = {**dict.fromkeys(self.movies, "movie"), **dict.fromkeys(self.shows, "tv show")}
        names = {**self.movies, **self.shows}
        titles = pl.DataFrame({"id": list(names), "title": list(names.values()),
                               "type": [kinds[i] for i in names],
                               "available_on": [[self.platforms[i[0]]] for i in names]})
        publish_neighbours(redis_url=redis_url, key_prefix=prefix, neighbours=neighbours,
                           titles=titles, meta=meta)
        return prefix


@pytest.fixture(scope="session")
def hand_written_model() -> HandWrittenModel:
    return HandWrittenModel()
