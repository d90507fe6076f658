"""bench/results.md from bench/results.json (bench.run) and bench/scaling.json (bench.scaling):
the one place that turns figures into tables and judges each against its target.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.serving import CACHED_MIX, MIX, TASTE

MB = 2**20
REPO = Path(__file__).resolve().parents[3]
ETL_SECONDS, ETL_PEAK = 120.0, 4 * 2**30
# At least this share of the bare app's req/s, the same c, under random traffic.
RATIOS = {MIX: 0.20, CACHED_MIX: 0.35}
ROUTE_RATIO, INTERNAL_RATIO = 0.15, 0.6
# p99 at half load (half the closed loop's req/s), in ms.
PACED_P99_MS = {TASTE: 20.0}
PACED_P99_DEFAULT = 25.0
SERVICE_RSS, REDIS_BYTES = 250 * MB, 100 * MB
SERVING_HEADER = (
    "target|req/s|p50 ms|p99 ms|vs bare|paced aim req/s|paced req/s|paced p99 ms|errors"
)

Doc = dict[str, Any]
Check = tuple[str, str, bool]


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:,.0f} MB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [header, ["---"] * len(header), *rows]
    return ["| " + " | ".join(cells) + " |" for cells in lines]


def _ratio(target: Doc) -> float | None:
    bare = target.get("bare")
    return target["closed"]["rps"] / bare["rps"] if bare and bare["rps"] else None


def _at_least(name: str, ratio: float | None, wanted: float) -> Iterator[Check]:
    if ratio is not None:
        yield f"{name}: at least {wanted}x the bare app", f"{ratio:.2f}x", ratio >= wanted


def checks(doc: Doc) -> Iterator[Check]:
    """(target, measured, met) for every target the run has a figure for."""
    etl = doc.get("etl")
    if etl and etl["returncode"] == 0:
        seconds, peak = etl["seconds"], etl["peak_rss"]
        yield f"full ETL under {ETL_SECONDS:g} s wall", f"{seconds:.1f} s", seconds < ETL_SECONDS
        yield "full ETL under 4 GB peak memory", _mb(peak), peak < ETL_PEAK
    serving = doc.get("serving")
    if serving:
        for target in serving["gateway"]:
            name, p99 = target["name"], target["paced"]["p99_ms"]
            if name != TASTE:  # the taste route has a latency target only
                yield from _at_least(name, _ratio(target), RATIOS.get(name, ROUTE_RATIO))
            limit = PACED_P99_MS.get(name, PACED_P99_DEFAULT)
            yield f"{name}: p99 under {limit:g} ms at half load", f"{p99:.1f} ms", p99 < limit
        for target in serving["internal"]:
            yield from _at_least(f"{target['name']} alone", _ratio(target), INTERNAL_RATIO)
        targets = [*serving["gateway"], *serving["internal"]]
        errors = sum(t["closed"]["errors"] + t["paced"]["errors"] for t in targets)
        yield "serving: no errors", f"{errors} errors", errors == 0
    memory = doc.get("memory") or {}
    for name, rss in (memory.get("services") or {}).items():
        yield f"{name} under 250 MB resident", _mb(rss), rss < SERVICE_RSS
    used = (memory.get("redis") or {}).get("used_memory")
    if used is not None:
        yield "Redis used_memory under 100 MB", _mb(used), used < REDIS_BYTES


def _etl(etl: Doc | None) -> list[str]:
    if not etl:
        return ["Not run."]
    peak = _mb(etl["peak_rss"])
    lines = [f"`{etl['command']}`: exit {etl['returncode']}, {etl['seconds']:.1f} s, peak {peak}."]
    if etl["returncode"] != 0:
        return [*lines, "", "```", etl.get("output_tail", ""), "```"]
    rows = [[s["name"], f"{s['seconds']:.2f}", _mb(s["peak_rss"])] for s in etl["stages"]]
    return [*lines, "", *_table(["stage", "seconds", "peak RSS in the stage"], rows)]


def _serving(serving: Doc | None) -> list[str]:
    if not serving:
        return ["Not run."]
    lines = [
        f"wrk with {serving['connections']} connections, {serving['seconds']} s a run. Every "
        "request a random path over the whole domain (`bench.serving`), title-keyed ones each "
        "at most once, so no cache answers them; only the cached mix repeats a few hundred "
        "paths. `req/s` is the closed loop (the rate at which the target saturates); `paced` is "
        "the same target at half that rate, whose p99 is the latency figure. `vs bare` is to "
        "the bare app's run right before each target.",
    ]
    targets = [*serving["gateway"], *serving["internal"]]
    for title, group in (("Gateway", "gateway"), ("Each internal service alone", "internal")):
        rows = []
        for t in serving[group]:
            closed, paced, ratio = t["closed"], t["paced"], _ratio(t)
            row = [t["name"], f"{closed['rps']:,.0f}", f"{closed['p50_ms']:.2f}"]
            row += [f"{closed['p99_ms']:.2f}", "" if ratio is None else f"{ratio:.2f}x"]
            row += [f"{t['paced_target_rps']:,.0f}", f"{paced['rps']:,.0f}"]
            rows.append([*row, f"{paced['p99_ms']:.2f}", str(closed["errors"] + paced["errors"])])
        lines += ["", f"**{title}**", "", *_table(SERVING_HEADER.split("|"), rows)]
    services = sorted({service for t in targets for service in t["cpu_ms"]})
    cpu = [[t["name"], *(f"{t['cpu_ms'].get(s, 0):.2f}" for s in services)] for t in targets]
    lines += ["", "**CPU ms per answered request** (user + system, each process, closed loop)", ""]
    lines += _table(["target", *services], cpu)
    return lines + [f"- repeated keys: {note}" for note in serving.get("repeated") or []]


def _memory(memory: Doc) -> list[str]:
    rows = [[name, _mb(rss)] for name, rss in (memory.get("services") or {}).items()]
    rows += [[f"Redis {key}", _mb(v)] for key, v in (memory.get("redis") or {}).items()]
    lines = _table(["process", "resident"], rows)
    if contents := memory.get("redis_contents"):
        empty = _mb((memory.get("redis_empty") or {}).get("used_memory"))
        lines += [
            "",
            f"The published version: {contents['titles_with_neighbours']:,} titles with a list, "
            f"{contents['neighbour_rows']:,} neighbour rows (at most {contents['max_neighbours']} "
            f"a title), {contents['keys']} keys; the empty server held {empty} before the ETL.",
        ]
    return lines


def _scaling(scaling: Doc | None) -> list[str]:
    if not scaling:
        return ["Not run (bench/scaling.json is missing)."]
    rows = []
    for size in scaling["sizes"]:
        longest = max(size["stages"], key=lambda st: st["seconds"], default={"name": ""})["name"]
        figures = [f"{size['seconds']:.1f}", _mb(size["peak_rss"]), longest]
        rows.append([f"{size['rows']:,}", str(size["returncode"]), *figures])
    commit = scaling.get("commit", "?")
    lines = [f"`{scaling['command']}` on {scaling['date']}, commit {commit}; {scaling['machine']}."]
    lines += ["", *_table(["ratings", "exit", "wall s", "peak RSS", "longest stage"], rows), ""]
    return lines + [f"- {line}" for line in scaling["verdicts"]]


def render(doc: Doc, scaling: Doc | None) -> str:
    """The whole of bench/results.md."""
    verdicts = [
        [name, measured, "met" if ok else "**missed**"] for name, measured, ok in checks(doc)
    ]
    lines = [
        "# Benchmark results",
        "",
        "GENERATED by `python -m bench.report` (the last step of `make bench`) from "
        "[`results.json`](results.json) and [`scaling.json`](scaling.json); do not edit, run it "
        "again. The ratings are generated (synthetic, the real layout and size), the catalog is "
        "the real one. What each change bought: [`changes.md`](changes.md).",
        "",
        f"- Date: {doc['date']}",
        *(f"- {key}: {value}" for key, value in doc["machine"].items()),
        "",
        "```",
        *doc["commands"],
        "```",
    ]
    sections = {
        "Targets": _table(["target", "measured", "verdict"], verdicts),
        "ETL at full scale": _etl(doc.get("etl")),
        "Serving": _serving(doc.get("serving")),
        "Memory": _memory(doc.get("memory") or {}),
        "ETL scaling": _scaling(scaling),
        "Notes": [f"- {note}" for note in doc.get("notes") or []],
    }
    for title, body in sections.items():
        if body:
            lines += ["", f"## {title}", "", *body]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--scaling", type=Path, default=REPO / "bench" / "scaling.json")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.md")
    args = parser.parse_args(argv)
    doc = json.loads(args.results.read_text(encoding="utf-8"))
    scaling = (
        json.loads(args.scaling.read_text(encoding="utf-8")) if args.scaling.is_file() else None
    )
    args.out.write_text(render(doc, scaling), encoding="utf-8")
    print(f"{args.out} written from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
