"""A whole stack of real processes on loopback per test: its own redis-server, catalog, recsys,
gateway, started the way `make up` starts them, so a test may kill, stall or signal any of them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from testkit.stack import DOWNSTREAM_TIMEOUT, TOKEN, Stack

from harness import RedisServer, Service

REPO = Path(__file__).resolve().parents[2]
StackFactory = Callable[..., Stack]


@contextmanager
def stack_starter(folder: Path, catalog_dir: Path, model) -> Iterator[StackFactory]:
    """start(**gateway_env) -> a fresh Stack; every process started is stopped on the way out."""
    processes: list[RedisServer | Service] = []

    def start(**gateway_env: str) -> Stack:
        where = folder / f"stack{len(processes)}"
        redis = RedisServer(where / "redis")
        processes.append(redis)
        redis.start()
        prefix = model.publish(redis.url, meta={"model_version": "reliability"})
        internal = {"INTERNAL_TOKEN": TOKEN, "LOG_LEVEL": "warning"}

        def service(name: str, app: str, env: dict[str, str]) -> Service:
            process = Service(name, app, {**internal, **env}, where / f"{name}.log",
                              ready_path="/healthz", cwd=REPO)
            processes.append(process)
            process.start(timeout=60)
            return process

        catalog = service("catalog", "catalog_service.main:create_app",
                          {"CATALOG_PATH": str(catalog_dir / "catalog.parquet")})
        recsys = service("recsys", "recsys_service.main:create_app",
                         {"REDIS_URL": redis.url, "REDIS_KEY_PREFIX": prefix})
        gateway = service("gateway", "gateway.main:create_app", {
            "CATALOG_SERVICE_URL": catalog.url, "RECSYS_SERVICE_URL": recsys.url,
            "DOWNSTREAM_TIMEOUT_SECONDS": str(DOWNSTREAM_TIMEOUT),
            # Every request must reach the services: no answer is served from a cache here.
            "DOWNSTREAM_CACHE_SECONDS": "0", **gateway_env})
        return Stack(redis=redis, catalog=catalog, recsys=recsys, gateway=gateway)

    try:
        yield start
    finally:
        for process in reversed(processes):
            process.stop()


@pytest.fixture
def stack_factory(tmp_path: Path, sample_catalog_dir: Path,
                  hand_written_model) -> Iterator[StackFactory]:
    """For tests that kill or end a process: stacks of the test's own."""
    with stack_starter(tmp_path, sample_catalog_dir, hand_written_model) as start:
        yield start


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_catalog_dir: Path,
          hand_written_model) -> Iterator[Stack]:
    """One stack per module, for tests that leave every process as they found it (a frozen
    process is thawed again)."""
    with stack_starter(tmp_path_factory.mktemp("stack"), sample_catalog_dir,
                       hand_written_model) as start:
        yield start()
