"""Serving under load: the three services and the bare baseline, wrk at several concurrencies."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.load import LoadResult, run_wrk
from bench.procs import Service
from bench.targets import Query

BASELINE = "bare FastAPI (constant)"


@dataclass
class Stack:
    catalog: Service
    recsys: Service
    gateway: Service
    bare: Service
    logs: Path
    extras: list[Service] = field(default_factory=list)

    @property
    def services(self) -> list[Service]:
        return [self.catalog, self.recsys, self.gateway, self.bare]

    def extra_gateway(self, name: str, env: dict[str, str], app: str | None = None) -> Service:
        """Another gateway over the same services, with settings (or an app) of its own."""
        gateway = Service(name, app or self.gateway.app, {**self.gateway.env, **env},
                          self.logs / f"{name}.log")
        self.extras.append(gateway)
        gateway.start(timeout=120)
        return gateway


@contextmanager
def running_stack(*, catalog_path: Path, redis_url: str, key_prefix: str, logs: Path,
                  gateway_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Start catalog, recsys, gateway and the bare app as `make up` starts services; stop them."""
    catalog = Service("catalog-service", "catalog_service.main:create_app",
                      {"CATALOG_PATH": str(catalog_path)}, logs / "catalog-service.log")
    recsys = Service("recsys-service", "recsys_service.main:create_app",
                     {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix},
                     logs / "recsys-service.log")
    # The per-client rate limit (30/s by default) would answer most of one load client's
    # requests with 429: the bench measures serving, so it runs without one.
    gateway = Service("gateway", "gateway.main:create_app",
                      {"CATALOG_SERVICE_URL": catalog.url, "RECSYS_SERVICE_URL": recsys.url,
                       "RATE_LIMIT": "", **(gateway_env or {})}, logs / "gateway.log")
    bare = Service("bare", "bench.bare_app:create_app", {}, logs / "bare.log", ready_path="/")
    with ExitStack() as stack:
        for service in (catalog, recsys, gateway, bare):
            stack.callback(service.stop)
            service.start(timeout=120)
        running = Stack(catalog, recsys, gateway, bare, logs)
        try:
            yield running
        finally:
            for extra in running.extras:
                extra.stop()


def answered(base_url: str, queries: list[Query]) -> tuple[list[Query], list[Query]]:
    """Split queries into those answered 200 and the others (left out of the load)."""
    good: list[Query] = []
    bad: list[Query] = []
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for query in queries:
            (good if client.get(query.path).status_code == 200 else bad).append(query)
    return good, bad


@dataclass
class TargetLoad:
    """One target's runs: closed loop per concurrency, and one paced run."""

    name: str
    closed: dict[int, LoadResult] = field(default_factory=dict)
    paced: LoadResult | None = None
    paced_target_rps: float | None = None


def load_target(name: str, base_url: str, paths: list[str], *, concurrencies: list[int],
                seconds: float, reference: int, progress: Callable[[str], None]) -> TargetLoad:
    """Warm up, then wrk at each concurrency; then paced at half the reference throughput."""
    run_wrk(base_url, paths, connections=reference, seconds=1)
    target = TargetLoad(name)
    for connections in concurrencies:
        target.closed[connections] = run_wrk(base_url, paths, connections=connections,
                                             seconds=seconds)
        result = target.closed[connections]
        progress(f"  {name:28} c={connections:<3} {result.rps:8.0f} req/s  "
                 f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
                 f"errors {result.errors}")
        time.sleep(0.5)
    full = target.closed[reference]
    # Half the closed-loop throughput, spread over the same connections: each waits
    # about reference / rate seconds between its requests (wrk's delay hook, jittered).
    target.paced_target_rps = full.rps / 2
    delay_ms = max(0.0, 1000 * reference / target.paced_target_rps - full.p50_ms / 2)
    target.paced = run_wrk(base_url, paths, connections=reference, seconds=seconds,
                           delay_ms=delay_ms)
    progress(f"  {name:28} paced {target.paced.rps:6.0f} req/s (aim "
             f"{target.paced_target_rps:.0f})  p99 {target.paced.p99_ms:6.2f} ms")
    return target
