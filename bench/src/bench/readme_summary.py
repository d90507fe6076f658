"""The README's serving summary, rendered from bench/results.json: per route the cached ratio
(each route rotating over 48 queries) next to the random-traffic one (every request a new path).

`make bench` rewrites the block between the two markers in README.md after each run;
`python -m bench.readme_summary` renders it again from an existing results.json. A README
without the markers is left as it is.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.random_traffic import MIX, RANDOM_ROUTES

REPO = Path(__file__).resolve().parents[3]
BEGIN = "<!-- bench:serving-summary:begin (written by make bench: bench/readme_summary.py) -->"
END = "<!-- bench:serving-summary:end -->"
CACHED_TARGET = {"get_recommendation": 0.30}  # the others: 0.35 (bench.results.TARGETS)
CACHED_DEFAULT = 0.35
RANDOM_TARGET = {MIX: 0.20}  # the others: 0.15 (bench.random_load)
RANDOM_DEFAULT = 0.15
TIMES = "\u00d7"  # the multiplication sign the README writes ratios with


def _rps(run: dict[str, Any] | None) -> float | None:
    return run["requests"] / run["seconds"] if run and run.get("seconds") else None


def _ratio(mine: dict[str, Any] | None, base: dict[str, Any] | None) -> float | None:
    ours, theirs = _rps(mine), _rps(base)
    return ours / theirs if ours is not None and theirs else None


def cached_ratios(document: dict[str, Any]) -> dict[str, float]:
    """Route -> throughput over the bare app's at the reference concurrency (rotating 48)."""
    loads = document.get("loads") or []
    if not loads:
        return {}
    reference = str(document.get("reference_connections", 16))
    base = loads[0]["closed"].get(reference)
    found = {}
    for load in loads[1:]:
        ratio = _ratio(load["closed"].get(reference), base)
        if ratio is not None:
            found[load["name"]] = ratio
    return found


def _random_base(random: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The bare run a random target is compared with: the one right before it, else the
    median of those runs, else the one at the start (as bench.random_load compares)."""
    before = random.get("bare_before") or {}
    if name in before:
        return before[name]
    if before:
        runs = sorted(before.values(), key=lambda run: _rps(run) or 0.0)
        return runs[len(runs) // 2]
    baseline = random.get("baseline") or {}
    return (baseline.get("closed") or {}).get(str(random.get("reference", 16)))


def random_figures(document: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Target -> ratio to the bare app, p99 at half load, gateway CPU ms per request."""
    random = document.get("random") or {}
    reference = str(random.get("reference", 16))
    cpu = random.get("cpu") or {}
    found: dict[str, dict[str, float | None]] = {}
    for load in [*(random.get("gateway") or []), *(random.get("internal") or [])]:
        paced = load.get("paced")
        found[load["name"]] = {
            "ratio": _ratio(load["closed"].get(reference), _random_base(random, load["name"])),
            "p99": paced["p99_ms"] if paced else None,
            "cpu": (cpu.get(load["name"]) or {}).get("gateway"),
        }
    return found


def _x(value: float | None, target: float) -> str:
    if value is None:
        return "not run"
    return f"{value:.2f}{TIMES}" + ("" if value >= target else " **missed**")


def rows(document: dict[str, Any]) -> list[list[str]]:
    """One row per gateway route (and the mix), then each internal service alone."""
    cached, random = cached_ratios(document), random_figures(document)
    names = [*RANDOM_ROUTES, *(name for name in cached if name not in RANDOM_ROUTES), MIX]
    table = []
    for name in names:
        if name not in cached and name not in random:
            continue
        figures = random.get(name, {})
        p99, cpu = figures.get("p99"), figures.get("cpu")
        table.append([
            f"`{name}`",
            _x(cached.get(name), CACHED_TARGET.get(name, CACHED_DEFAULT))
            if name in cached else "—",
            _x(figures.get("ratio"), RANDOM_TARGET.get(name, RANDOM_DEFAULT))
            if name in random else "—",
            "—" if p99 is None else f"{p99:.1f}" + ("" if p99 < 25 else " **missed**"),
            "—" if cpu is None else f"{cpu:.2f}",
        ])
    for name, figures in random.items():
        if name in names:
            continue
        table.append([f"{name} alone", "—", _x(figures.get("ratio"), 0.6), "—", "—"])
    return table


def block(document: dict[str, Any]) -> str:
    """The whole README block, markers included."""
    machine = document.get("machine") or {}
    compared = ("random ones to a bare run right before each target"
                if (document.get("random") or {}).get("bare_before")
                else "random ones to the bare run at the start of that section")
    header = ["route", "cached case: rotating 48 queries, c=16, vs bare",
              "random traffic: every request a new path, c=16, vs bare",
              "random: p99 ms at half load", "random: gateway CPU ms per request"]
    lines = [BEGIN, "",
             f"Serving, from `bench/results.json` ({document.get('date', 'n/a')}, commit "
             f"{machine.get('Commit', 'n/a')}, load average at start "
             f"{machine.get('Load average at start (1/5/15 min)', 'n/a')}). Targets: cached "
             f"≥ 0.35{TIMES} (recommendations 0.3{TIMES}); random ≥ 0.15{TIMES} per route, "
             f"mix ≥ 0.20{TIMES}, each internal service alone ≥ 0.6{TIMES}; p99 < 25 ms at "
             "half load. Ratios are to the bare "
             f"FastAPI app in the same run ({compared}).", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(document)]
    ratios = [f["ratio"] for name, f in random_figures(document).items()
              if name in RANDOM_ROUTES and f["ratio"] is not None]
    if ratios:
        median = statistics.median(ratios)
        lines += ["", f"Random traffic, median over the routes: {median:.2f}{TIMES} the bare "
                  "app; why each miss, with its py-spy profile: `bench/results.md` "
                  "section 3b."]
    arm = _arm_line(document)
    if arm:
        lines += ["", arm]
    return "\n".join([*lines, "", END])


def _arm_line(document: dict[str, Any]) -> str:
    """What the httpx API costs: the gateway's CPU per request, shipped against the bench-only
    arm on aiohttp's own client, run back to back on the same routes."""
    cpu = (document.get("random") or {}).get("cpu") or {}
    pairs = []
    for name, row in cpu.items():
        if not name.endswith(" (httpx, shipped)"):
            continue
        route = name.removesuffix(" (httpx, shipped)")
        arm = (cpu.get(f"{route} (aiohttp arm)") or {}).get("gateway")
        shipped = row.get("gateway")
        if arm is not None and shipped is not None:
            pairs.append(f"`{route}` {shipped:.2f} → {arm:.2f} ms")
    if not pairs:
        return ""
    return ("What the httpx API costs (the same gateway on aiohttp's own client, a bench-only "
            "arm run right after the shipped one; gateway CPU per request, httpx → aiohttp): "
            + ", ".join(pairs) + ".")


def update(readme: Path, document: dict[str, Any]) -> bool:
    """Replace the block between the markers; False (file untouched) without them."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[:start] + block(document) + text[end + len(END):], encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.readme_summary", description=__doc__)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args(argv)
    document = json.loads(args.results.read_text(encoding="utf-8"))
    if not update(args.readme, document):
        print(f"{args.readme}: no serving-summary markers; left as it is", file=sys.stderr)
        return 1
    print(f"{args.readme}: serving summary written from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
