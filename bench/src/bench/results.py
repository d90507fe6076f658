"""bench/results.md: every figure of one run, the targets met or missed, and by how much."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import random_load
from bench.etl import EtlResult
from bench.inprocess import Cost
from bench.random_load import RandomResults
from bench.serving import BASELINE, TargetLoad
from bench.targets import CATALOG_ROUTES

MB = 1024 * 1024
TARGETS = {
    "etl_seconds": 120.0, "etl_peak_bytes": 4 * 1024 * MB, "ratings_vs_pandas": 4.0,
    "catalog_route_ratio": 0.35, "recommendation_ratio": 0.30, "paced_p99_ms": 25.0,
    "catalog_query_us": 200.0, "service_rss_bytes": 250 * MB, "redis_bytes": 100 * MB,
}


@dataclass
class Results:
    """Everything one `python -m bench.run` measured; sections left None were not run."""

    date: str
    machine: dict[str, str]
    commands: list[str]
    generated: dict[str, Any] | None = None
    etl: EtlResult | None = None
    pandas: dict[str, Any] | None = None
    reference_connections: int = 16
    load_seconds: int = 5
    loads: list[TargetLoad] = field(default_factory=list)  # the baseline first
    variants: dict[str, list[TargetLoad]] = field(default_factory=dict)
    catalog_costs: list[Cost] = field(default_factory=list)
    redis_costs: list[Cost] = field(default_factory=list)
    service_rss: dict[str, int] = field(default_factory=dict)
    redis_memory: dict[str, int] = field(default_factory=dict)
    redis_empty: dict[str, int] = field(default_factory=dict)  # INFO memory before the ETL
    # what the published version holds: keys, titles with a list, neighbour rows, list depth
    redis_contents: dict[str, int] = field(default_factory=dict)
    load_average_end: float | None = None
    left_out: dict[str, int] = field(default_factory=dict)  # route -> queries without a 200
    notes: list[str] = field(default_factory=list)
    changes: str = ""
    random: RandomResults | None = None


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    ok: bool
    gap: str = ""  # by how much a missed target is missed; empty when met

    def __post_init__(self) -> None:
        if self.ok:
            object.__setattr__(self, "gap", "")


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f} MB"


def _ratio(load: TargetLoad, baseline: TargetLoad, connections: int) -> float | None:
    mine, base = load.closed.get(connections), baseline.closed.get(connections)
    return mine.rps / base.rps if mine and base and base.rps else None


def _miss(measured: float, target: float, *, lower_is_better: bool) -> str:
    if lower_is_better:
        return f"{measured / target:.2f}x the limit"
    return f"{measured / target:.0%} of the target" if target else ""


def checks(results: Results) -> list[Check]:
    """Each serving target against this run's figure."""
    found: list[Check] = []
    etl = results.etl
    if etl is not None and etl.returncode == 0:
        seconds, peak = etl.seconds, etl.peak_rss
        found.append(Check("full ETL under 120 s wall (training, Redis load included)",
                           f"{seconds:.1f} s", seconds < TARGETS["etl_seconds"],
                           _miss(seconds, TARGETS["etl_seconds"], lower_is_better=True)))
        found.append(Check("full ETL under 4 GB peak memory", _mb(peak),
                           peak < TARGETS["etl_peak_bytes"],
                           _miss(peak, TARGETS["etl_peak_bytes"], lower_is_better=True)))
        ratings = next((s.seconds for s in etl.stages if s.name == "ratings"), None)
        if ratings and results.pandas:
            ratio = results.pandas["ratings_seconds"] / ratings
            found.append(Check("ratings ingest + aggregation at least 4x faster than pandas",
                               f"{ratio:.2f}x", ratio >= TARGETS["ratings_vs_pandas"],
                               _miss(ratio, TARGETS["ratings_vs_pandas"],
                                     lower_is_better=False)))
    if results.loads:
        baseline, c = results.loads[0], results.reference_connections
        for load in results.loads[1:]:
            ratio = _ratio(load, baseline, c)
            if ratio is None:
                continue
            wanted = (TARGETS["recommendation_ratio"] if load.name == "get_recommendation"
                      else TARGETS["catalog_route_ratio"])
            found.append(Check(f"{load.name}: throughput at c={c} at least {wanted}x the bare "
                               "app", f"{ratio:.2f}x", ratio >= wanted,
                               _miss(ratio, wanted, lower_is_better=False)))
            if load.name in CATALOG_ROUTES and load.paced is not None:
                p99 = load.paced.p99_ms
                found.append(Check(f"{load.name}: p99 under 25 ms at half its throughput",
                                   f"{p99:.1f} ms", p99 < TARGETS["paced_p99_ms"],
                                   _miss(p99, TARGETS["paced_p99_ms"], lower_is_better=True)))
        errors = sum(r.errors for load in results.loads for r in
                     [*load.closed.values(), *([load.paced] if load.paced else [])])
        found.append(Check("no errors under load", f"{errors} errors", errors == 0))
    if results.random is not None:
        found += [Check(target, measured, ok)
                  for target, measured, ok in random_load.checks(results.random)]
    for cost in results.catalog_costs:
        found.append(Check(f"{cost.name}: catalog query under 200 µs in process",
                           f"{cost.micros:.1f} µs", cost.micros < TARGETS["catalog_query_us"],
                           _miss(cost.micros, TARGETS["catalog_query_us"],
                                 lower_is_better=True)))
    for name, rss in results.service_rss.items():
        found.append(Check(f"{name} under 250 MB resident", _mb(rss),
                           rss < TARGETS["service_rss_bytes"],
                           _miss(rss, TARGETS["service_rss_bytes"], lower_is_better=True)))
    if "used_memory" in results.redis_memory:
        used = results.redis_memory["used_memory"]
        found.append(Check("Redis used_memory under 100 MB", _mb(used),
                           used < TARGETS["redis_bytes"],
                           _miss(used, TARGETS["redis_bytes"], lower_is_better=True)))
    return found


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _etl_section(results: Results) -> list[str]:
    etl = results.etl
    if etl is None:
        return ["Not run."]
    lines = [f"Command: `{etl.command}` (exit code {etl.returncode}).", ""]
    if etl.returncode != 0:
        return [*lines, "The run failed; its last lines:", "", "```", etl.output_tail, "```"]
    rows = [[s.name, f"{s.seconds:.2f}", _mb(s.peak_rss)] for s in etl.stages]
    accounted = sum(s.seconds for s in etl.stages)
    rows.append(["start-up, input checks, exit (rest of the wall time)",
                 f"{etl.seconds - accounted:.2f}", ""])
    rows.append(["**whole process**", f"**{etl.seconds:.2f}**", f"**{_mb(etl.peak_rss)}**"])
    lines += _table(["stage (manifest `stage_seconds`)", "seconds", "peak RSS in the stage"],
                    rows)
    lines += ["", "Stage peaks: the process tree's RSS sampled every 50 ms, windows placed by "
              "the manifest's stage seconds ending at the manifest's write; the whole-process "
              "peak is the kernel's (wait4 ru_maxrss)."]
    lines += _ease_lines(etl.manifest)
    rows_info = etl.manifest.get("rows", {})
    if rows_info:
        lines += ["", f"Rows: {rows_info.get('catalog', 0):,} catalog titles, "
                  f"{rows_info.get('ratings', 0):,} ratings kept, "
                  f"{rows_info.get('quarantine', 0):,} quarantined."]
    pandas = results.pandas
    if pandas:
        stage = {s.name: s.seconds for s in etl.stages}
        lines += ["", "### The same work the obvious pandas way (same run, own process)", ""]
        table = []
        for name, key in (("catalog read + transformations", "catalog"),
                          ("ratings read_csv x files, concat, checks, groupby", "ratings")):
            ours, theirs = stage.get(key), pandas[f"{key}_seconds"]
            table.append([name, f"{theirs:.2f}", f"{ours:.2f}" if ours else "n/a",
                          f"{theirs / ours:.2f}x" if ours else "n/a"])
        lines += _table(["work", "pandas s", "etl-job stage s", "etl-job faster by"], table)
        lines += ["", f"pandas process peak RSS {_mb(pandas.get('peak_rss'))}; a plain Polars "
                  f"lazy scan + group_by of the same files (no checks) took "
                  f"{pandas['polars_floor_seconds']:.2f} s: the floor for the ratings stage."]
    return lines


def _ease_lines(manifest: dict[str, Any]) -> list[str]:
    """The EASE stage inside evaluate and train, from the manifest."""
    ease = (manifest.get("model") or {}).get("ease")
    if not ease:
        return []
    fits = ((manifest.get("evaluation") or {}).get("parameters") or {})
    return ["", f"EASE stage (inside the stages above): {ease['seconds']:.2f} s in train "
            f"(XᵀX and one float32 Cholesky solve over {ease['movies']:,} movies, "
            f"{ease['movies_left_out']:,} less-liked ones past the {ease['max_movies']:,} bound "
            f"left to BM25 and content), {fits.get('ease_fit_seconds', 0):.2f} s in evaluate "
            f"({len(fits.get('ease_lambdas_tried', []))} lambdas on the training split)."]


def _load_rows(loads: list[TargetLoad], baseline: TargetLoad, reference: int) -> list[list[str]]:
    rows = []
    for load in loads:
        for connections, result in sorted(load.closed.items()):
            ratio = _ratio(load, baseline, connections)
            rows.append([load.name, str(connections), f"{result.rps:,.0f}",
                         f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", str(result.errors),
                         f"{ratio:.2f}x" if ratio is not None else ""])
        if load.paced is not None:
            rows.append([load.name, f"{reference}, paced at ~{load.paced_target_rps:,.0f}/s",
                         f"{load.paced.rps:,.0f}", f"{load.paced.p50_ms:.2f}",
                         f"{load.paced.p99_ms:.2f}", str(load.paced.errors), ""])
    return rows


def _serving_section(results: Results) -> list[str]:
    if not results.loads:
        return ["Not run."]
    baseline, c = results.loads[0], results.reference_connections
    header = ["target", "connections", "req/s", "p50 ms", "p99 ms", "errors", "vs bare"]
    lines = _table(header, _load_rows(results.loads, baseline, c))
    for name, loads in results.variants.items():
        lines += ["", f"**{name}**", ""]
        lines += _table(header, _load_rows(loads, baseline, c))
    if results.left_out:
        lines += ["", "Queries left out of the load because they did not answer 200: "
                  + ", ".join(f"{route} {n}" for route, n in results.left_out.items()) + "."]
    return lines


def render(results: Results) -> str:
    """The whole results.md."""
    lines = ["# Benchmark results", "",
             "Written by `make bench` (`python -m bench.run`); regenerated on every run. The "
             "ratings are GENERATED (synthetic, in the real layout and size), the catalog is "
             "the real one.", "",
             f"- Date: {results.date}"]
    lines += [f"- {key}: {value}" for key, value in results.machine.items()]
    lines += ["", "Commands:", "", "```", *results.commands, "```", "", "## Targets", ""]
    found = checks(results)
    rows = [[c.target, c.measured, "met" if c.ok else "**missed**", c.gap] for c in found]
    lines += _table(["target", "measured", "verdict", "miss"], rows)
    if not all(c.ok for c in found):
        lines += ["", "Why a target is missed, and what would fix it: \"Not changed\" at the end."]
    generated = results.generated
    lines += ["", "## 1. Data (GENERATED ratings)", ""]
    if generated:
        lines.append(
            f"{generated['rows']:,} generated ratings by {generated['users']:,} users over "
            f"{generated['movies']:,} real catalog movies, {generated['files']} files, seed "
            f"{generated['seed']} (`python -m bench.generate`, "
            f"{generated.get('seconds', 'n/a')} s{'' if 'seconds' in generated else ', reused'}"
            f"), in `{generated.get('out', '')}`.")
    lines += ["", "## 2. ETL at full scale", "", *_etl_section(results)]
    lines += ["", "## 3. Serving under load: the cached case (rotating 48 queries per route)", "",
              f"wrk 4 (`-t1`, closed loop, {results.load_seconds} s per cell) on loopback "
              "against uvicorn processes "
              f"started as `make up` starts them (uvloop + httptools), each route rotating over "
              f"up to 48 queries with an answer. `vs bare` is throughput over the "
              f"{BASELINE} at the same concurrency. The paced row uses wrk's delay hook on "
              f"{results.reference_connections} connections to send about half the closed-loop "
              "throughput. Client, services and the baseline share the machine's cores.", "",
              "The gateway keeps answers per data version (`DOWNSTREAM_CACHE_SECONDS`): under "
              "a rotation of 48 queries nearly every answer after the first second is a kept "
              "one, which costs about what the bare app does. The table with the cache off is "
              "the two-hop path every question takes once per version and TTL.", "",
              *_serving_section(results)]
    lines += ["", "## 3b. Serving under load: random traffic (the uncached case)", ""]
    if results.random is None:
        lines.append("Not run.")
    else:
        lines += [
            "Every request a random path over the whole domain (bench.random_traffic): score "
            "counts over every platform x score 0-100 x year, every (platform, year) a cast is "
            "known for, every (year, platform, unit) of max-duration, every kind x country x "
            "year, every rating; for `get_recommendation` every catalog movie title and for "
            "`titles/{id}` every catalog id, each at most once in a run (the warm-up, the "
            "closed-loop and the paced runs walk different parts of the shuffled list), so no "
            "cache can serve them. The gateway runs with its caches on as shipped. c="
            f"{results.reference_connections} closed loop, then paced at half that "
            "throughput; `vs bare` against the bare app in the same run.", "",
            *random_load.render(results.random)]
    lines += ["", "## 4. In-process costs", ""]
    rows = [[cost.name, f"{cost.micros:.2f}", f"{cost.calls:,}"]
            for cost in [*results.catalog_costs, *results.redis_costs]]
    lines += _table(["call", "µs per call", "calls timed"], rows) if rows else ["Not run."]
    lines += ["", "Catalog: the catalog service's function behind each route over the same "
              "queries as the load. Redis: sequential awaits on uvloop against the benchmark's "
              "own redis-server over loopback."]
    lines += ["", "## 5. Memory", ""]
    rows = [[name, _mb(rss)] for name, rss in results.service_rss.items()]
    rows += [[f"Redis {key}", _mb(value)] for key, value in results.redis_memory.items()]
    lines += _table(["process", "resident"], rows) if rows else ["Not run."]
    lines += ["", "Services: RSS (process and children) after warm-up and the whole load. "
              "Redis: INFO memory after the ETL published the full catalog's neighbours."]
    if results.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in results.notes]]
    if results.changes:
        lines += ["", results.changes.strip()]
    return "\n".join(lines) + "\n"


def write(results: Results, path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")
