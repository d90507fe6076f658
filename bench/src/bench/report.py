"""bench/results.md from the figures `make bench` wrote: `python -m bench.report`.

The benchmarks write only JSON (bench/results.json from bench.run, bench/scaling.json from
bench.scaling); this module is the one place that turns figures into prose and tables, and
judges each against its target. Run it again after editing a target or to re-render.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MB = 2**20
REPO = Path(__file__).resolve().parents[3]
BARE = "bare FastAPI (constant)"
MIX = "mix"
# (target, a figure's limit): upper limits are "under", lower ones "at least".
ETL_SECONDS, ETL_PEAK, RATINGS_VS_PANDAS = 120.0, 4 * 2**30, 4.0
CACHED_RATIO, RECOMMENDATION_RATIO, PACED_P99_MS = 0.35, 0.30, 25.0
RANDOM_MIX, RANDOM_ROUTE, RANDOM_INTERNAL = 0.20, 0.15, 0.6
CATALOG_QUERY_US, SERVICE_RSS, REDIS_BYTES = 200.0, 250 * MB, 100 * MB

Doc = dict[str, Any]


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f} MB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def _closed(load: Doc, connections: int) -> Doc | None:
    return load["closed"].get(str(connections))


def _ratio(run: Doc | None, base: Doc | None) -> float | None:
    return run["rps"] / base["rps"] if run and base and base["rps"] else None


def _random_base(random: Doc, name: str) -> Doc | None:
    """The bare run right before a random target, else the median bare run."""
    before = random.get("bare_before") or {}
    if name in before:
        return before[name]
    runs = sorted(before.values(), key=lambda run: run["rps"])
    if runs:
        return runs[len(runs) // 2]
    return _closed(random["baseline"], random["reference"]) if random.get("baseline") else None


def _runs(load: Doc) -> list[Doc]:
    return [*load["closed"].values(), *([load["paced"]] if load.get("paced") else [])]


def checks(doc: Doc) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target the run has a figure for."""
    found: list[tuple[str, str, bool]] = []
    etl = doc.get("etl")
    if etl and etl["returncode"] == 0:
        found.append((f"full ETL under {ETL_SECONDS:g} s wall", f"{etl['seconds']:.1f} s",
                      etl["seconds"] < ETL_SECONDS))
        found.append(("full ETL under 4 GB peak memory", _mb(etl["peak_rss"]),
                      etl["peak_rss"] < ETL_PEAK))
        ratings = next((s["seconds"] for s in etl["stages"] if s["name"] == "ratings"), None)
        if ratings and doc.get("pandas"):
            ratio = doc["pandas"]["ratings_seconds"] / ratings
            found.append((f"ratings ingest at least {RATINGS_VS_PANDAS:g}x faster than pandas",
                          f"{ratio:.2f}x", ratio >= RATINGS_VS_PANDAS))
    loads, c = doc.get("loads") or [], doc.get("reference_connections", 16)
    for load in loads[1:]:
        ratio = _ratio(_closed(load, c), _closed(loads[0], c))
        wanted = RECOMMENDATION_RATIO if load["name"] == "get_recommendation" else CACHED_RATIO
        if ratio is not None:
            found.append((f"cached {load['name']}: at least {wanted}x the bare app",
                          f"{ratio:.2f}x", ratio >= wanted))
    if loads:
        errors = sum(run["errors"] for load in loads for run in _runs(load))
        found.append(("cached traffic: no errors", f"{errors} errors", errors == 0))
    random = doc.get("random")
    if random:
        for load in random["gateway"]:
            wanted = RANDOM_MIX if load["name"] == MIX else RANDOM_ROUTE
            ratio = _ratio(_closed(load, random["reference"]), _random_base(random, load["name"]))
            if ratio is not None:
                found.append((f"random {load['name']}: at least {wanted}x the bare app",
                              f"{ratio:.2f}x", ratio >= wanted))
            if load.get("paced"):
                p99 = load["paced"]["p99_ms"]
                found.append((f"random {load['name']}: p99 under {PACED_P99_MS:g} ms at half "
                              "load", f"{p99:.1f} ms", p99 < PACED_P99_MS))
        for load in random["internal"]:
            ratio = _ratio(_closed(load, random["reference"]), _random_base(random, load["name"]))
            if ratio is not None:
                found.append((f"{load['name']} alone: at least {RANDOM_INTERNAL}x the bare app",
                              f"{ratio:.2f}x", ratio >= RANDOM_INTERNAL))
        errors = sum(run["errors"] for load in [*random["gateway"], *random["internal"]]
                     for run in _runs(load))
        found.append(("random traffic: no errors", f"{errors} errors", errors == 0))
    for cost in doc.get("catalog_costs") or []:
        found.append((f"{cost['name']}: catalog query under {CATALOG_QUERY_US:g} µs in process",
                      f"{cost['micros']:.1f} µs", cost["micros"] < CATALOG_QUERY_US))
    for name, rss in (doc.get("service_rss") or {}).items():
        found.append((f"{name} under 250 MB resident", _mb(rss), rss < SERVICE_RSS))
    used = (doc.get("redis_memory") or {}).get("used_memory")
    if used is not None:
        found.append(("Redis used_memory under 100 MB", _mb(used), used < REDIS_BYTES))
    return found


def _load_rows(loads: list[Doc], base: Any) -> list[list[str]]:
    """One row per closed-loop and paced run; `base(load, connections)` is its bare run."""
    rows = []
    for load in loads:
        for connections, run in sorted(load["closed"].items(), key=lambda kv: int(kv[0])):
            ratio = _ratio(run, base(load, connections))
            rows.append([load["name"], connections, f"{run['rps']:,.0f}", f"{run['p50_ms']:.2f}",
                         f"{run['p99_ms']:.2f}", str(run["errors"]),
                         "" if ratio is None else f"{ratio:.2f}x"])
        if load.get("paced"):
            run = load["paced"]
            rows.append([load["name"], f"{run['connections']} paced at "
                         f"~{load['paced_target_rps']:,.0f}/s", f"{run['rps']:,.0f}",
                         f"{run['p50_ms']:.2f}", f"{run['p99_ms']:.2f}", str(run["errors"]), ""])
    return rows


LOAD_HEADER = ["target", "connections", "req/s", "p50 ms", "p99 ms", "errors", "vs bare"]


def _etl(doc: Doc) -> list[str]:
    etl = doc.get("etl")
    if not etl:
        return ["Not run."]
    lines = [f"`{etl['command']}`: exit {etl['returncode']}, {etl['seconds']:.1f} s, peak "
             f"{_mb(etl['peak_rss'])}.", ""]
    if etl["returncode"] != 0:
        return [*lines, "```", etl.get("output_tail", ""), "```"]
    lines += _table(["stage", "seconds", "peak RSS in the stage"],
                    [[s["name"], f"{s['seconds']:.2f}", _mb(s["peak_rss"])]
                     for s in etl["stages"]])
    pandas = doc.get("pandas")
    if pandas:
        stages = {s["name"]: s["seconds"] for s in etl["stages"]}
        lines += ["", "The same work the obvious pandas way: catalog "
                  f"{pandas['catalog_seconds']:.2f} s (etl-job {stages.get('catalog', 0):.2f} s), "
                  "ratings "
                  f"{pandas['ratings_seconds']:.2f} s (etl-job {stages.get('ratings', 0):.2f} s),"
                  f" peak {_mb(pandas.get('peak_rss'))}; a bare Polars scan + group_by of the "
                  f"ratings: {pandas['polars_floor_seconds']:.2f} s."]
    return lines


def _serving(doc: Doc) -> list[str]:
    loads = doc.get("loads") or []
    if not loads:
        return ["Not run."]

    def base(load: Doc, connections: str) -> Doc | None:
        return loads[0]["closed"].get(connections)

    lines = _table(LOAD_HEADER, _load_rows(loads, base))
    for name, variant in (doc.get("variants") or {}).items():
        lines += ["", f"**{name}**", "", *_table(LOAD_HEADER, _load_rows(variant, base))]
    return lines


def _random(doc: Doc) -> list[str]:
    random = doc.get("random")
    if not random:
        return ["Not run."]

    def base(load: Doc, connections: str) -> Doc | None:
        return _random_base(random, load["name"])

    lines = ["Every request a random path over the whole domain (`bench.random_traffic`), each "
             "at most once, so no cache can serve it; `vs bare` is to the bare app's run right "
             "before each target.", ""]
    for title, loads in (("Gateway, random paths (caches on as shipped)", random["gateway"]),
                         ("Each internal service alone, random keys", random["internal"]),
                         ("The gateway on aiohttp's own client (bench-only arm)",
                          random.get("aiohttp_arm") or [])):
        if loads:
            lines += [f"**{title}**", "", *_table(LOAD_HEADER, _load_rows(loads, base)), ""]
    cpu = random.get("cpu") or {}
    if cpu:
        services = sorted({service for row in cpu.values() for service in row})
        lines += ["**CPU ms per answered request** (user + system, per process)", ""]
        lines += _table(["target", *services], [[name, *(f"{row.get(s, 0):.2f}" for s in services)]
                                                for name, row in cpu.items()])
    for cost in random.get("costs") or []:
        for service in cost["services"]:
            profile = service["profile"]
            if isinstance(profile, dict):
                frames = ", ".join(f"`{name}` {share:.0%}"
                                   for name, share in list(profile["self_frames"].items())[:5])
                lines += ["", f"py-spy, `{cost['scenario']}`, {service['name']}: "
                          f"{profile['samples']:,} samples; top self frames {frames}."]
    return lines


def _scaling(scaling: Doc | None) -> list[str]:
    if not scaling:
        return ["Not run (bench/scaling.json is missing)."]
    lines = [f"`{scaling['command']}` on {scaling['date']}, commit {scaling.get('commit', '?')}; "
             f"{scaling['machine']}.", ""]
    lines += _table(["ratings", "exit", "wall s", "peak RSS", "longest stage"],
                    [[f"{s['rows']:,}", str(s["returncode"]), f"{s['seconds']:.1f}",
                      _mb(s["peak_rss_bytes"]),
                      max(s["stages"], key=lambda st: st["seconds"])["name"] if s["stages"]
                      else ""] for s in scaling["sizes"]])
    return [*lines, "", *(f"- {line}" for line in scaling["verdicts"])]


def render(doc: Doc, scaling: Doc | None) -> str:
    """The whole of bench/results.md."""
    lines = ["# Benchmark results", "",
             "GENERATED by `python -m bench.report` (the last step of `make bench`) from "
             "[`results.json`](results.json) and [`scaling.json`](scaling.json); do not edit, "
             "run it again. The ratings are generated (synthetic, the real layout and size), "
             "the catalog is the real one. What each change bought: "
             "[`changes.md`](changes.md).", "", f"- Date: {doc['date']}",
             *(f"- {key}: {value}" for key, value in doc["machine"].items()),
             "", "```", *doc["commands"], "```", "", "## Targets", ""]
    lines += _table(["target", "measured", "verdict"],
                    [[target, measured, "met" if ok else "**missed**"]
                     for target, measured, ok in checks(doc)])
    lines += ["", "## ETL at full scale", "", *_etl(doc)]
    lines += ["", "## Serving, the cached case (each route rotating over up to 48 queries)", "",
              *_serving(doc)]
    lines += ["", "## Serving, random traffic (the uncached case)", "", *_random(doc)]
    costs = [*(doc.get("catalog_costs") or []), *(doc.get("redis_costs") or [])]
    lines += ["", "## In-process costs", "",
              *_table(["call", "µs per call", "calls timed"],
                      [[c["name"], f"{c['micros']:.2f}", f"{c['calls']:,}"] for c in costs])]
    memory = [[name, _mb(rss)] for name, rss in (doc.get("service_rss") or {}).items()]
    memory += [[f"Redis {key}", _mb(v)] for key, v in (doc.get("redis_memory") or {}).items()]
    lines += ["", "## Memory", "", *_table(["process", "resident"], memory)]
    contents, empty = doc.get("redis_contents") or {}, doc.get("redis_empty") or {}
    if contents:
        lines += ["", f"The published version: {contents['titles_with_neighbours']:,} titles "
                  f"with a list, {contents['neighbour_rows']:,} neighbour rows (at most "
                  f"{contents['max_neighbours']} a title), {contents['keys']} keys; the empty "
                  f"server held {_mb(empty.get('used_memory'))} before the ETL."]
    lines += ["", "## ETL scaling", "", *_scaling(scaling)]
    if doc.get("notes"):
        lines += ["", "## Notes", "", *(f"- {note}" for note in doc["notes"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--scaling", type=Path, default=REPO / "bench" / "scaling.json")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.md")
    args = parser.parse_args(argv)
    doc = json.loads(args.results.read_text(encoding="utf-8"))
    scaling = (json.loads(args.scaling.read_text(encoding="utf-8"))
               if args.scaling.is_file() else None)
    args.out.write_text(render(doc, scaling), encoding="utf-8")
    print(f"{args.out} written from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
