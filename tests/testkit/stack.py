"""A stack of real processes (tests/reliability): what a test holds and how it reads metrics."""

import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness import RedisServer, Service

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-internal-token"
# Short enough that failure tests finish fast, long enough for a loaded 2-core machine.
DOWNSTREAM_TIMEOUT = 1.0


@dataclass
class Stack:
    redis: RedisServer
    catalog: Service
    recsys: Service
    gateway: Service

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.gateway.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def frozen(self, process: RedisServer | Service) -> Iterator[None]:
        """SIGSTOP the process for the block, SIGCONT after, whatever happens inside."""
        process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            process.send_signal(signal.SIGCONT)


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample over every series carrying these labels (0 if none)."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{key}="{value}"' in (match.group(1) or "")
                         for key, value in labels.items()):
            total += float(match.group(2))
    return total


StackFactory = Callable[..., "Stack"]


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
