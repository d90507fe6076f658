"""The capacity model behind docs/capacity.md, from the two files `make bench` writes.

`bench/results.json` (`python -m bench.run`) gives CPU per request and resident memory per
service, Redis memory and contents, the ETL's stages and EASE; `bench/scaling.json`
(`python -m bench.scaling`) gives the ETL at several ratings counts. Everything else here is
arithmetic over those figures with the planning inputs below, named as such in the document.

`bench.capacity` renders it as docs/capacity.md.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.random_traffic import MIX

SERVICES = ("gateway", "catalog-service", "recsys-service")
# Planning inputs of the worked example: what the deployment must carry.
PLANNED_RPS = 5_000
PLANNED_RATINGS = 100_000_000
# The HPAs' CPU target: pods are counted so that each runs at this share of its core.
UTILISATION = 0.70
# One uvicorn worker is one event loop: a pod of one process uses at most one core.
CORES_PER_POD = 1.0
# Versions Redis holds at the peak: current, the rollback target, and the retired one for
# an hour after a publish.
VERSIONS_AT_PEAK = 3
# Memory limits over the measured peak: a service's RSS grows with its caches, the ETL's
# with the data; the extrapolated ETL peak is a straight line, not a measurement.
SERVICE_MEMORY_HEADROOM = 1.5
ETL_MEMORY_HEADROOM = 1.25
GIB = 2**30
MB = 2**20


@dataclass(frozen=True)
class ServiceLoad:
    """One service under random traffic: CPU per gateway request, per route and in the mix."""

    service: str
    mix_ms: float
    worst_route: str
    worst_ms: float
    rss_bytes: int | None
    alone: dict[str, float]  # internal route alone -> req/s measured (shared machine)

    def per_core_rps(self, ms: float) -> float:
        return 1000 / ms if ms > 0 else math.inf

    def pods(self, rps: float, ms: float) -> int:
        """Pods of CORES_PER_POD at UTILISATION that carry `rps` requests costing `ms` each."""
        need = rps * ms / 1000 / (CORES_PER_POD * UTILISATION)
        return max(1, math.ceil(round(need, 6)))  # 7.0 / 0.7 is 10.000000000000002

    @property
    def memory_limit_bytes(self) -> int | None:
        return None if self.rss_bytes is None else math.ceil(
            self.rss_bytes * SERVICE_MEMORY_HEADROOM)


@dataclass(frozen=True)
class EtlSize:
    rows: int
    seconds: float
    peak_bytes: int
    stages: list[dict[str, Any]]
    load_average_after: float | None


@dataclass(frozen=True)
class EtlFit:
    """A straight line through the two largest measured sizes (time and peak memory)."""

    low: EtlSize
    high: EtlSize

    @property
    def seconds_per_million(self) -> float:
        return (self.high.seconds - self.low.seconds) / ((self.high.rows - self.low.rows) / 1e6)

    @property
    def bytes_per_million(self) -> float:
        return ((self.high.peak_bytes - self.low.peak_bytes)
                / ((self.high.rows - self.low.rows) / 1e6))

    def seconds_at(self, rows: int) -> float:
        return self.high.seconds + self.seconds_per_million * (rows - self.high.rows) / 1e6

    def peak_at(self, rows: int) -> float:
        return self.high.peak_bytes + self.bytes_per_million * (rows - self.high.rows) / 1e6


@dataclass(frozen=True)
class Ease:
    """EASE in one ETL run: a movies x movies Gram matrix and one solve, bounded in movies."""

    movies: int
    liked_movies: int
    max_movies: int
    train_seconds: float
    evaluate_seconds: float
    lambdas: int

    @staticmethod
    def gram_bytes(movies: int) -> int:
        return 4 * movies * movies  # float32

    def train_seconds_at(self, movies: int) -> float:
        """The dense solve grows with movies cubed; XᵀX with movies squared (an upper line)."""
        return self.train_seconds * (movies / self.movies) ** 3


@dataclass(frozen=True)
class RedisUse:
    used_bytes: int
    empty_bytes: int | None
    titles: int
    neighbour_rows: int | None
    max_neighbours: int | None
    keys: int | None
    by_size: dict[int, int]  # ratings -> used_memory after publishing (bench.scaling)

    @property
    def version_bytes(self) -> int:
        """One published version: used_memory over the empty server's (all of it if unknown)."""
        return self.used_bytes - (self.empty_bytes or 0)

    @property
    def neighbours_per_title(self) -> float | None:
        return self.neighbour_rows / self.titles if self.neighbour_rows and self.titles else None

    @property
    def per_thousand_titles(self) -> float:
        return self.version_bytes / self.titles * 1000

    @property
    def per_thousand_title_neighbours(self) -> float | None:
        """Bytes per 1,000 titles per neighbour kept (per-title costs folded in: an upper line)."""
        depth = self.neighbours_per_title
        return self.per_thousand_titles / depth if depth else None

    def peak_bytes(self, titles: int) -> float:
        per_title = self.version_bytes / self.titles
        return (self.empty_bytes or 0) + VERSIONS_AT_PEAK * per_title * titles


@dataclass(frozen=True)
class Source:
    name: str
    date: str
    commit: str
    load: str


@dataclass(frozen=True)
class Model:
    sources: list[Source]
    services: dict[str, ServiceLoad]
    bare_rps: float | None
    gateway_rps: dict[str, float]  # random traffic, per route
    cached_rps: dict[str, float]  # the cached case, per route, at the reference concurrency
    reference: int
    redis: RedisUse
    etl_sizes: list[EtlSize]
    fit: EtlFit | None
    shipped: EtlSize | None  # the ETL of `bench.run` (the shipped dataset's size)
    ease: Ease | None
    catalog_titles: int | None
    catalog_stage_seconds: float | None

    def plan_pods(self, service: str) -> int:
        """maxReplicas the plan needs: every request on the service's heaviest route."""
        load = self.services[service]
        return load.pods(PLANNED_RPS, load.worst_ms)

    def mix_pods(self, service: str) -> int:
        load = self.services[service]
        return load.pods(PLANNED_RPS, load.mix_ms)

    @property
    def mix_cores(self) -> float:
        return sum(PLANNED_RPS * s.mix_ms / 1000 for s in self.services.values()) / UTILISATION

    @property
    def etl_peak_bytes(self) -> float | None:
        return None if self.fit is None else self.fit.peak_at(PLANNED_RATINGS)

    @property
    def etl_seconds(self) -> float | None:
        return None if self.fit is None else self.fit.seconds_at(PLANNED_RATINGS)

    @property
    def etl_memory_limit_gib(self) -> int | None:
        peak = self.etl_peak_bytes
        return None if peak is None else math.ceil(round(peak * ETL_MEMORY_HEADROOM / GIB, 6))


def _rps(target: dict[str, Any], reference: int) -> float | None:
    run = (target.get("closed") or {}).get(str(reference))
    return None if run is None else float(run["rps"])


def _services(results: dict[str, Any]) -> dict[str, ServiceLoad]:
    random = results["random"]
    cpu: dict[str, dict[str, float]] = random["cpu"]
    routes = [t["name"] for t in random["gateway"] if t["name"] != MIX and t["name"] in cpu]
    reference = random["reference"]
    found = {}
    for service in SERVICES:
        worst = max(routes, key=lambda route: cpu[route].get(service, 0.0))
        alone = {t["name"]: rps for t in random["internal"]
                 if t["name"].startswith(service.split("-")[0])
                 and (rps := _rps(t, reference)) is not None}
        found[service] = ServiceLoad(service, cpu[MIX].get(service, 0.0), worst,
                                     cpu[worst].get(service, 0.0),
                                     results.get("service_rss", {}).get(service), alone)
    return found


def _size(record: dict[str, Any]) -> EtlSize:
    return EtlSize(record["rows"], record["seconds"], record["peak_rss_bytes"],
                   record["stages"], record.get("load_average_after"))


def _ease(etl: dict[str, Any]) -> Ease | None:
    manifest = etl.get("manifest") or {}
    ease = (manifest.get("model") or {}).get("ease")
    if not ease:
        return None
    fits = (manifest.get("evaluation") or {}).get("parameters") or {}
    return Ease(movies=ease["movies"], liked_movies=ease["movies"] + ease["movies_left_out"],
                max_movies=ease["max_movies"], train_seconds=ease["seconds"],
                evaluate_seconds=fits.get("ease_fit_seconds", 0.0),
                lambdas=len(fits.get("ease_lambdas_tried", [])))


def _redis(results: dict[str, Any], sizes: list[dict[str, Any]]) -> RedisUse:
    contents = results.get("redis_contents") or {}
    titles = contents.get("titles_with_neighbours") or next(
        (s["movies"] for s in reversed(sizes) if s.get("movies")), 0)
    return RedisUse(
        used_bytes=results["redis_memory"]["used_memory"],
        empty_bytes=(results.get("redis_empty") or {}).get("used_memory"),
        titles=titles, neighbour_rows=contents.get("neighbour_rows"),
        max_neighbours=contents.get("max_neighbours"), keys=contents.get("keys"),
        by_size={s["rows"]: s["redis_memory"]["used_memory"] for s in sizes
                 if s.get("redis_memory")})


def _load(results: dict[str, Any]) -> str:
    start = results["machine"].get("Load average at start (1/5/15 min)", "n/a")
    end = results.get("load_average_end")
    return f"{start} at the start" + ("" if end is None else f", {end:.2f} at the end")


def build(results: dict[str, Any], scaling: dict[str, Any]) -> Model:
    """The model from the parsed results.json and scaling.json."""
    done = sorted((s for s in scaling["sizes"] if s["returncode"] == 0), key=lambda s: s["rows"])
    sizes = [_size(s) for s in done]
    etl = results.get("etl") or {}
    shipped = None
    if etl.get("returncode") == 0:
        rows = (etl.get("manifest") or {}).get("rows") or {}
        stages = [{"name": s["name"], "seconds": s["seconds"], "peak_rss_bytes": s["peak_rss"]}
                  for s in etl["stages"]]
        shipped = EtlSize(rows.get("ratings", 0), etl["seconds"], etl["peak_rss"], stages,
                          results.get("load_average_end"))
    catalog_stage = next((s["seconds"] for s in etl.get("stages", []) if s["name"] == "catalog"),
                         None)
    random = results["random"]
    reference = random["reference"]
    sources = [
        Source("bench/results.json", results["date"], results["machine"].get("Commit", "n/a"),
               _load(results)),
        Source("bench/scaling.json", scaling["date"], scaling.get("commit", "n/a"),
               scaling["machine"]),
    ]
    return Model(
        sources=sources, services=_services(results),
        bare_rps=_rps(random["baseline"], reference) if random.get("baseline") else None,
        gateway_rps={t["name"]: rps for t in random["gateway"]
                     if (rps := _rps(t, reference)) is not None},
        cached_rps={t["name"]: rps for t in results.get("loads", [])[1:]
                    if (rps := _rps(t, results["reference_connections"])) is not None},
        reference=reference, redis=_redis(results, done), etl_sizes=sizes,
        fit=EtlFit(sizes[-2], sizes[-1]) if len(sizes) >= 2 else None, shipped=shipped,
        ease=_ease(etl),
        catalog_titles=((etl.get("manifest") or {}).get("rows") or {}).get("catalog"),
        catalog_stage_seconds=catalog_stage)


def load(results_path: Path, scaling_path: Path) -> Model:
    return build(json.loads(results_path.read_text(encoding="utf-8")),
                 json.loads(scaling_path.read_text(encoding="utf-8")))
