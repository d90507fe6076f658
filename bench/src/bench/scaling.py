"""`make bench` scaling: the whole `etl-job run` at 1M, 11M and 33M generated ratings, each on
its own generated DATA_DIR, redis-server and OUTPUT_DIR -> bench/scaling.json (figures and the
scaling targets, met or not); bench.report renders it.
"""

import argparse
import itertools
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generate
from bench.measure import redis_memory, run_etl
from bench.run import first_line, say
from harness import RedisServer

REPO = generate.REPO
SIZES = (1_000_000, 11_000_000, 33_000_000)
KEY_PREFIX = "bench-scaling"
# Scaling targets (a 3x larger input stays in budget), for the largest size against the middle one.
TARGET_SECONDS = 240
TARGET_PEAK_BYTES = 4 * 2**30
TARGET_PEAK_RATIO = 1.5
MB = 2**20


def measure(rows: int, *, work: Path, seed: int, keep_data: bool) -> dict[str, Any]:
    """Generate `rows` ratings (or reuse them), run the ETL on them, return its figures."""
    data = work / f"data-{rows}"
    spec = generate.Spec(rows=rows, users=generate.default_users(rows), seed=seed)
    generate.reuse_or_generate(data, spec)
    output_dir = work / f"etl-{rows}"
    shutil.rmtree(output_dir, ignore_errors=True)
    say(f"etl-job run on {rows:,} ratings (load average {os.getloadavg()[0]:.2f}) ...")
    with RedisServer(work / f"redis-{rows}") as redis_server:
        url, log = redis_server.url, work / f"etl-{rows}.log"
        result = run_etl(data, output_dir, redis_url=url, key_prefix=KEY_PREFIX, log_path=log)
        memory = redis_memory(url)
    peak = result["peak_rss"] / MB
    say(f"{rows:,}: exit {result['returncode']}, {result['seconds']:.1f} s, peak {peak:,.0f} MB")
    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    manifest = result["manifest"]
    return {
        "rows": rows,
        "users": spec.users,
        "returncode": result["returncode"],
        "seconds": round(result["seconds"], 1),
        "peak_rss": result["peak_rss"],
        "stages": result["stages"],
        "ratings_kept": manifest.get("rows", {}).get("ratings"),
        "movies": manifest.get("model", {}).get("movies"),
        "redis_memory": memory,
        "load_average_after": round(os.getloadavg()[0], 2),
        "output_tail": result["output_tail"] if result["returncode"] else "",
    }


def verdicts(sizes: list[dict[str, Any]]) -> list[str]:
    """The scaling targets, each met or missed with the figures that decide it."""
    done = {s["rows"]: s for s in sizes if s["returncode"] == 0}
    lines = []
    if len(done) >= 2:
        # Marginal seconds per extra million between sizes: a fixed cost per run (start-up,
        # the catalog, item x item work over the same movies) cancels out; linear time keeps
        # these steps equal.
        steps = []
        for low, high in itertools.pairwise(sorted(done)):
            seconds = (done[high]["seconds"] - done[low]["seconds"]) / ((high - low) / 1e6)
            steps.append(f"{low / 1e6:g}M→{high / 1e6:g}M {seconds:.1f} s")
        lines.append(
            f"seconds per extra million ratings: {', '.join(steps)} (linear time keeps these equal)"
        )
    big, mid = done.get(SIZES[-1]), done.get(SIZES[1])
    if big is not None and mid is not None:
        ratio = big["peak_rss"] / mid["peak_rss"]
        text = f"peak memory 33M / 11M = {ratio:.2f} (target < {TARGET_PEAK_RATIO})"
        lines.append(_verdict(text, ratio < TARGET_PEAK_RATIO, lambda: _peak_why(big, mid)))
    if big is not None:
        text = f"33M wall {big['seconds']:.0f} s (target < {TARGET_SECONDS} s)"
        lines.append(_verdict(text, big["seconds"] < TARGET_SECONDS, lambda: _time_why(big)))
        text = f"33M peak {big['peak_rss'] / 2**30:.2f} GB (target < 4 GB)"
        ok = big["peak_rss"] < TARGET_PEAK_BYTES
        lines.append(_verdict(text, ok, lambda: _peak_why(big, mid)))
    return lines


def _verdict(text: str, met: bool, why: Callable[[], str]) -> str:
    return f"{text}: " + ("met" if met else f"MISSED: {why()}")


def _top(size: dict[str, Any], key: str) -> dict[str, Any]:
    return max(size["stages"], key=lambda stage: stage[key] or 0)


def _peak_why(big: dict[str, Any], mid: dict[str, Any] | None) -> str:
    """The stage holding the peak, how it grew from the middle size, and which stage grew most."""
    stage = _top(big, "peak_rss")
    text = f"the peak is in stage {stage['name']} ({stage['peak_rss'] / MB:,.0f} MB"
    if mid is None:
        return text + ")"
    before = {st["name"]: st["peak_rss"] for st in mid["stages"]}
    if before.get(stage["name"]):
        text += f", x{stage['peak_rss'] / before[stage['name']]:.2f} of its peak at 11M"
    grown = [
        (st["peak_rss"] - before[st["name"]], st["name"])
        for st in big["stages"]
        if st["peak_rss"] and before.get(st["name"])
    ]
    if grown:
        most, name = max(grown)
        text += f"; stage {name} grew most, +{most / MB:,.0f} MB"
    return text + ")"


def _time_why(big: dict[str, Any]) -> str:
    stage = _top(big, "seconds")
    return (
        f"the longest stage is {stage['name']} ({stage['seconds']:.0f} s of "
        f"{big['seconds']:.0f}); load average (1 min) {big['load_average_after']} on "
        f"{os.cpu_count()} CPUs after the run, so the machine was shared"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    sizes_text = ",".join(map(str, SIZES))
    parser.add_argument("--rows", default=sizes_text, help="comma-separated ratings counts")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=REPO / "var" / "bench" / "scaling")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "scaling.json")
    parser.add_argument("--keep-data", action="store_true", help="keep the generated folders")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    command = " ".join(["python -m bench.scaling", *(argv if argv is not None else sys.argv[1:])])
    sizes: list[dict[str, Any]] = []
    for rows in map(int, args.rows.split(",")):
        sizes.append(measure(rows, work=args.work_dir, seed=args.seed, keep_data=args.keep_data))
        # Written after every size, so a stopped run still leaves what it measured.
        record = {
            "commit": first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
            "command": command,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} CPUs, load average (1 min) after the last size "
            f"{os.getloadavg()[0]:.2f}",
            "sizes": sizes,
            "verdicts": verdicts(sizes),
            "seconds": round(time.perf_counter() - started, 1),
        }
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(f"bench.scaling: {args.out} written in {time.perf_counter() - started:.0f} s")
    return 0 if all(s["returncode"] == 0 for s in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
