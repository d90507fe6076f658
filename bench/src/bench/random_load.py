"""The random-traffic runs: the gateway per route and mixed, each internal service alone, and the
gateway on aiohttp's own client, all against the bare app, with where each service's CPU went.

`python -m bench.random_load` runs only this part against an ETL output and a Redis that
already hold a published run (what `make bench` does after its ETL).
"""

import argparse
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
from bench.serving import BASELINE, Stack, TargetLoad, running_stack

PATHS_PER_ROUTE = 20_000
AIOHTTP_ARM = "gateway on aiohttp's own client (bench-only arm)"
TARGET_MIX, TARGET_ROUTE, TARGET_INTERNAL, TARGET_P99_MS = 0.20, 0.15, 0.6, 25.0
PROFILED = ("get_score_count", "get_recommendation", "titles/{id}", MIX)
# Each internal service alone is explained by its own profile under the gateway load that asks
# it the same thing (that service's py-spy in that run).
INTERNAL_PROFILES = {"catalog /v1/score-count": ("catalog-service", "get_score_count"),
                     "catalog /v1/titles/{id}": ("catalog-service", "titles/{id}"),
                     "recsys /v1/neighbours/{id}": ("recsys-service", "titles/{id}")}


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

    def base_for(self, name: str) -> LoadResult | None:
        """The bare run a target is compared with: the one right before it, else the median."""
        if name in self.bare_before:
            return self.bare_before[name]
        runs = sorted(self.bare_before.values(), key=lambda run: run.rps)
        if runs:
            return runs[len(runs) // 2]
        return self.baseline.closed.get(self.reference) if self.baseline else None


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


def _ratio(load: LoadResult | None, base: LoadResult | None) -> float | None:
    return load.rps / base.rps if load and base and base.rps else None


def checks(results: RandomResults) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for the random-traffic targets."""
    found = []
    for load in results.gateway:
        wanted = TARGET_MIX if load.name == MIX else TARGET_ROUTE
        ratio = _ratio(load.closed.get(results.reference), results.base_for(load.name))
        if ratio is not None:
            found.append((f"random {load.name}: at least {wanted}x the bare app",
                          f"{ratio:.2f}x", ratio >= wanted))
        if load.paced is not None:
            p99 = load.paced.p99_ms
            found.append((f"random {load.name}: p99 under {TARGET_P99_MS:g} ms at half load",
                          f"{p99:.1f} ms", p99 < TARGET_P99_MS))
    for load in results.internal:
        ratio = _ratio(load.closed.get(results.reference), results.base_for(load.name))
        if ratio is not None:
            found.append((f"{load.name} alone: at least {TARGET_INTERNAL}x the bare app",
                          f"{ratio:.2f}x", ratio >= TARGET_INTERNAL))
    errors = sum(run.errors for load in [*results.gateway, *results.internal]
                 for run in [*load.closed.values(), *([load.paced] if load.paced else [])])
    found.append(("random traffic: no errors", f"{errors} errors", errors == 0))
    return found


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _load_rows(loads: list[TargetLoad], results: RandomResults | None,
               reference: int) -> list[list[str]]:
    rows = []
    for load in loads:
        closed = load.closed.get(reference)
        ratio = _ratio(closed, results.base_for(load.name)) if results is not None else None
        if closed is not None:
            rows.append([load.name, f"{reference} closed", f"{closed.rps:,.0f}",
                         f"{closed.p50_ms:.2f}", f"{closed.p99_ms:.2f}", str(closed.errors),
                         f"{ratio:.2f}x" if ratio is not None else ""])
        if load.paced is not None:
            rows.append([load.name, f"{reference} paced ~{load.paced_target_rps:,.0f}/s",
                         f"{load.paced.rps:,.0f}", f"{load.paced.p50_ms:.2f}",
                         f"{load.paced.p99_ms:.2f}", str(load.paced.errors), ""])
    return rows


def render(results: RandomResults) -> list[str]:
    """The random-traffic section of bench/results.md."""
    header = ["target", "connections", "req/s", "p50 ms", "p99 ms", "errors", "vs bare"]
    lines = _table(header, _load_rows([results.baseline] if results.baseline else [], None,
                                      results.reference))
    if results.bare_before:
        bare = sorted(run.rps for run in results.bare_before.values())
        lines += ["", f"The bare app was run again right before each target below "
                  f"({len(bare)} closed-loop runs: {bare[0]:,.0f} to {bare[-1]:,.0f} req/s, "
                  f"median {bare[len(bare) // 2]:,.0f}); each `vs bare` is to the run right "
                  "before it (the aiohttp arm's to the median), so a burst of other work on "
                  "the shared machine weighs on both sides of a ratio."]
    lines += ["", "**Gateway, random paths (caches on as shipped)**", ""]
    lines += _table(header, _load_rows(results.gateway, results, results.reference))
    lines += ["", "**Each internal service alone, random keys**", ""]
    lines += _table(header, _load_rows(results.internal, results, results.reference))
    if results.aiohttp_arm:
        lines += ["", f"**{AIOHTTP_ARM}**: the same gateway code, its downstream calls made "
                  "with `aiohttp.ClientSession.get` instead of the httpx API, each route run "
                  "right after the shipped gateway on the same route", ""]
        lines += _table(header, _load_rows(results.aiohttp_arm, results, results.reference))
    if results.cpu:
        services = sorted({service for row in results.cpu.values() for service in row})
        lines += ["", "**CPU per answered request in each closed-loop run** (ms of CPU time, "
                  "user + system, read from the kernel for each process; what the machine's "
                  "other load cannot inflate the way it inflates latency)", ""]
        lines += _table(["target", *services],
                        [[name, *(f"{row.get(service, 0):.2f}" for service in services)]
                         for name, row in results.cpu.items()])
    if results.repeated:
        lines += ["", "Runs that asked more requests than their list held (so keys repeated): "
                  + "; ".join(results.repeated) + "."]
    if results.costs:
        lines += ["", "### Where the CPU goes (random traffic, c="
                  f"{results.reference}, a run of its own with py-spy attached)", ""]
        rows = []
        for cost in results.costs:
            for service in cost.services:
                rows.append([cost.scenario, service.name,
                             f"{service.cores(cost.seconds):.2f}",
                             f"{service.ms_per_request(cost.requests):.2f}"])
        lines += _table(["load", "service", "cores busy", "CPU ms per request"], rows)
        for cost in results.costs:
            for service in cost.services:
                lines += ["", f"`{cost.scenario}` — {service.name}: "]
                if isinstance(service.profile, str):
                    lines[-1] += service.profile + "."
                    continue
                profile = service.profile
                packages = ", ".join(f"{name} {share:.0%}" for name, share
                                     in profile.top(profile.packages, 8))
                frames = ", ".join(f"`{name}` {share:.0%}" for name, share
                                   in profile.top(profile.self_frames, 8))
                lines[-1] += (f"{profile.samples:,} samples holding the GIL. Self time by "
                              f"package: {packages}. "
                              f"Top self frames: {frames}.")
    return lines + _misses(results)


def _profile_summary(results: RandomResults, service: str, scenario: str) -> str | None:
    """CPU per request and the top self frames of one service under one profiled load."""
    cost = next((c for c in results.costs if c.scenario == scenario), None)
    found = next((s for s in cost.services if s.name == service), None) if cost else None
    if cost is None or found is None:
        return None
    summary = (f"{service} under `{scenario}`: {found.ms_per_request(cost.requests):.2f} ms "
               "CPU per request")
    if isinstance(found.profile, str):
        return f"{summary} ({found.profile})"
    frames = ", ".join(f"`{name}` {share:.0%}" for name, share
                       in found.profile.top(found.profile.self_frames, 4))
    packages = ", ".join(f"{name} {share:.0%}" for name, share
                         in found.profile.top(found.profile.packages, 4))
    return f"{summary}; by package {packages}; top frames {frames}"


def _misses(results: RandomResults) -> list[str]:
    """Each missed random-traffic target with the profile that explains where its CPU went."""
    missed = [(target, measured) for target, measured, ok in checks(results) if not ok]
    if not missed or not results.costs:
        return []
    lines = ["", "### Each miss and its profile", ""]
    for target, measured in missed:
        name = target.removeprefix("random ").split(":")[0].removesuffix(" alone")
        if name in INTERNAL_PROFILES:
            service, scenario = INTERNAL_PROFILES[name]
        else:
            service = "gateway"
            scenario = name if any(c.scenario == name for c in results.costs) else MIX
        summary = _profile_summary(results, service, scenario)
        cpu = results.cpu.get(name, {})
        spent = ", ".join(f"{who} {ms:.2f}" for who, ms in sorted(cpu.items()) if ms >= 0.01)
        lines.append(f"- {target}: {measured}. CPU ms per request in its closed-loop run: "
                     f"{spent or 'not measured'}. " + (f"Profile: {summary}." if summary else
                                                       "No profile of this load."))
    lines += ["", "A p99 at half load is mostly time spent waiting for one of the two cores the "
              "client, the bare app and the services share, so it follows the CPU per request "
              "of the processes on the request's path."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.random_load", description=__doc__)
    parser.add_argument("--catalog-path", type=Path, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--key-prefix", default="bench")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--reference", type=int, default=16)
    parser.add_argument("--work-dir", type=Path, default=Path("var/bench-random"))
    parser.add_argument("--out", type=Path, default=None, help="markdown file to write")
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
    text = "\n".join(render(results)) + "\n"
    text += "\n" + "\n".join(f"- {target}: {measured} ({'met' if ok else 'MISSED'})"
                             for target, measured, ok in checks(results)) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
