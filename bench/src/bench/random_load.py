"""The random-traffic runs: the gateway per route and mixed, each internal service alone, and the
gateway on aiohttp's own client, all against the bare app, with where each service's CPU went.

`python -m bench.random_load` runs only this part against an ETL output and a Redis that
already hold a published run (what `make bench` does after its ETL).
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from catalog_service.index import CatalogIndex, load_index

from bench.load import LoadResult, run_wrk
from bench.profile import CpuUse, ServiceCost, profiled
from bench.random_traffic import (
    MIX,
    RANDOM_ROUTES,
    TITLE_KEYED,
    internal_paths,
    mixed,
    random_paths,
)
from bench.report import checks
from bench.serving import BASELINE, Stack, TargetLoad, running_stack

PATHS_PER_ROUTE = 20_000
AIOHTTP_ARM = "gateway on aiohttp's own client (bench-only arm)"
PROFILED = ("get_score_count", "get_recommendation", "titles/{id}", MIX)


@dataclass
class Cost:
    """What one profiled load cost each service."""

    scenario: str
    requests: int
    seconds: float
    services: list[ServiceCost]


@dataclass
class RandomResults:
    reference: int
    baseline: TargetLoad | None = None
    gateway: list[TargetLoad] = field(default_factory=list)
    internal: list[TargetLoad] = field(default_factory=list)
    aiohttp_arm: list[TargetLoad] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    # target name -> service -> CPU ms per answered request in its closed-loop run
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)  # runs that wrapped around their list
    # target name -> the bare app's closed-loop run taken right before it: each ratio is to
    # its neighbour in time, so a burst of other work on the shared machine moves both sides.
    bare_before: dict[str, LoadResult] = field(default_factory=dict)


def _slices(paths: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Warm-up, closed-loop and paced runs each walk their own part of a route's list."""
    if len(paths) < 10:
        return paths, paths, paths
    tenth = len(paths) // 10
    return paths[:tenth], paths[tenth:6 * tenth], paths[6 * tenth:]


def random_target(name: str, url: str, paths: list[str], *, seconds: float, reference: int,
                  results: RandomResults, progress: Callable[[str], None]) -> TargetLoad:
    """Closed loop at `reference` connections, then paced at half that throughput."""
    warm, closed, paced = _slices(paths)
    run_wrk(url, warm, connections=reference, seconds=1)
    target = TargetLoad(name)
    uses = {service: CpuUse(psutil.Process(pid)) for service, pid in results.pids.items()}
    for use in uses.values():
        use.begin()
    full = run_wrk(url, closed, connections=reference, seconds=seconds)
    for use in uses.values():
        use.end()
    results.cpu[name] = {service: 1000 * use.seconds / max(1, full.requests)
                         for service, use in uses.items()}
    target.closed[reference] = full
    target.paced_target_rps = full.rps / 2
    delay_ms = max(0.0, 1000 * reference / target.paced_target_rps - full.p50_ms / 2)
    target.paced = run_wrk(url, paced, connections=reference, seconds=seconds,
                           delay_ms=delay_ms)
    for run, walked in ((full, closed), (target.paced, paced)):
        if name in TITLE_KEYED and run.requests > len(walked):
            results.repeated.append(f"{name}: {run.requests:,} requests over {len(walked):,} "
                                    "paths")
    progress(f"  {name:34} c={reference} {full.rps:8.0f} req/s  p99 {full.p99_ms:6.2f} ms  "
             f"errors {full.errors}; paced {target.paced.rps:6.0f} req/s p99 "
             f"{target.paced.p99_ms:6.2f} ms errors {target.paced.errors}")
    return target


def run_random(stack: Stack, *, catalog_path: Path, seconds: float, reference: int,
               work_dir: Path, progress: Callable[[str], None],
               aiohttp_arm: bool = True, loads: bool = True) -> RandomResults:
    index = load_index(catalog_path)
    paths = random_paths(index, count=PATHS_PER_ROUTE)
    paths[MIX] = mixed({route: paths[route] for route in RANDOM_ROUTES})
    results = RandomResults(reference)
    results.pids = {service.name: service.pid for service in stack.services
                    if service.pid is not None}
    if loads:
        _measure_loads(stack, index, paths, results, seconds=seconds, progress=progress)
    _measure_costs(stack, paths, results, seconds=seconds, work_dir=work_dir, progress=progress)
    if aiohttp_arm:
        progress("random traffic: the same gateway on aiohttp's own client ...")
        try:
            _measure_arm(stack, paths, results, seconds=seconds, progress=progress)
        except Exception as error:  # a broken arm must not cost the run's other figures
            results.repeated.append(f"the aiohttp arm did not run ({error!s:.200})")
    return results


def _measure_arm(stack: Stack, paths: dict[str, list[str]], results: RandomResults, *,
                 seconds: float, progress: Callable[[str], None]) -> None:
    arm = stack.extra_gateway("gateway-aiohttp", {}, app="bench.aiohttp_gateway:create_app")
    shipped = dict(results.pids)
    # Each route twice, back to back, so both arms meet the same machine: the shipped gateway
    # (httpx API) and the arm, each walking a fresh part of the route's paths.
    try:
        for route in ("get_score_count", "titles/{id}", MIX):
            half = len(paths[route]) // 2
            for name, service, walk in ((f"{route} (httpx, shipped)", stack.gateway,
                                         paths[route][half:]),
                                        (f"{route} (aiohttp arm)", arm, paths[route][:half])):
                results.pids = {**shipped, "gateway": service.pid or 0}
                results.aiohttp_arm.append(random_target(
                    name, service.url, walk, seconds=seconds, reference=results.reference,
                    results=results, progress=progress))
    finally:
        results.pids = shipped


def _measure_loads(stack: Stack, index: CatalogIndex, paths: dict[str, list[str]],
                   results: RandomResults, *, seconds: float,
                   progress: Callable[[str], None]) -> None:
    reference = results.reference
    progress("random traffic: the bare app ...")
    results.baseline = random_target(BASELINE, stack.bare.url, ["/"], seconds=seconds,
                                     reference=reference, results=results, progress=progress)
    progress("random traffic: the gateway, caches on as shipped ...")
    for route in (*RANDOM_ROUTES, MIX):
        _bare_before(route, stack, results, seconds=seconds)
        results.gateway.append(random_target(
            route, stack.gateway.url, paths[route], seconds=seconds, reference=reference,
            results=results, progress=progress))
    progress("random traffic: each internal service alone ...")
    movie_ids = [entry.id for entry in index.search_entries]
    for name, internal in internal_paths(index, movie_ids, count=PATHS_PER_ROUTE).items():
        url = stack.catalog.url if name.startswith("catalog") else stack.recsys.url
        _bare_before(name, stack, results, seconds=seconds)
        results.internal.append(random_target(name, url, internal, seconds=seconds,
                                              reference=reference, results=results,
                                              progress=progress))


def _bare_before(name: str, stack: Stack, results: RandomResults, *, seconds: float) -> None:
    """A closed-loop run of the bare app right before `name`'s, for that target's ratio."""
    results.bare_before[name] = run_wrk(stack.bare.url, ["/"], connections=results.reference,
                                        seconds=seconds)


def _measure_costs(stack: Stack, paths: dict[str, list[str]], results: RandomResults, *,
                   seconds: float, work_dir: Path, progress: Callable[[str], None]) -> None:
    progress("random traffic: where the CPU goes (py-spy, a run of its own) ...")
    pids = {service.name: service.pid for service in (stack.gateway, stack.catalog,
                                                      stack.recsys)
            if service.pid is not None}
    for scenario in PROFILED:
        # A fresh slice of the list: the measured runs above already walked the first.
        walk = paths[scenario][len(paths[scenario]) // 2:]

        def load(walk: list[str] = walk) -> LoadResult:
            return run_wrk(stack.gateway.url, walk, connections=results.reference,
                           seconds=seconds)

        result, services = profiled(
            pids, seconds, work_dir / "profiles" / scenario.replace("/", "_"), load)
        results.costs.append(Cost(scenario, result.requests, result.seconds, services))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.random_load", description=__doc__)
    parser.add_argument("--catalog-path", type=Path, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--key-prefix", default="bench")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--reference", type=int, default=16)
    parser.add_argument("--work-dir", type=Path, default=Path("var/bench-random"))
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--no-aiohttp-arm", action="store_true")
    parser.add_argument("--profile-only", action="store_true",
                        help="only the py-spy runs, not the load tables")
    args = parser.parse_args(argv)
    logs = args.work_dir / "logs"
    with running_stack(catalog_path=args.catalog_path, redis_url=args.redis_url,
                       key_prefix=args.key_prefix, logs=logs) as stack:
        results = run_random(stack, catalog_path=args.catalog_path, seconds=args.seconds,
                             reference=args.reference, work_dir=args.work_dir,
                             progress=lambda line: print(line, flush=True),
                             aiohttp_arm=not args.no_aiohttp_arm, loads=not args.profile_only)
    from bench.results import plain  # bench.results imports this module's RandomResults

    document = plain(results)
    if args.out:
        args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    for target, measured, ok in checks({"random": document}):
        print(f"- {target}: {measured} ({'met' if ok else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
