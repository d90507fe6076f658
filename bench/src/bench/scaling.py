"""`make bench` scaling: the full ETL at 1M, 11M and 33M generated ratings.

Each size gets its own generated DATA_DIR (bench.generate, GENERATED data), its own
redis-server and OUTPUT_DIR; `etl-job run` is measured as a process (wall seconds, peak RSS
sampled, and each stage's seconds and peak from its manifest). Writes bench/scaling.json
(every figure and the scaling targets, met or not); bench.report renders it.
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generate
from bench.etl import EtlResult, run_etl
from bench.procs import own_redis

REPO = generate.REPO
SIZES = (1_000_000, 11_000_000, 33_000_000)
KEY_PREFIX = "bench-scaling"
# Scaling targets (a 3x larger input stays in budget), for the largest size against the middle one.
TARGET_SECONDS = 240
TARGET_PEAK_BYTES = 4 * 2**30
TARGET_PEAK_RATIO = 1.5
MB = 2**20


def say(message: str) -> None:
    print(f"[bench.scaling] {message}", flush=True)


def measure(rows: int, *, work: Path, seed: int, keep_data: bool) -> dict[str, Any]:
    """Generate `rows` ratings (or reuse them), run the ETL on them, return its figures."""
    data = work / f"data-{rows}"
    spec = generate.Spec(rows=rows, users=generate.default_users(rows), seed=seed)
    found = generate.marker(data)
    if not (found and found.get("rows") == rows and found.get("seed") == seed
            and found.get("generator_version") == generate.GENERATOR_VERSION):
        say(f"generating {rows:,} ratings into {data} ...")
        generate.generate(out=data, spec=spec)
    output_dir = work / f"etl-{rows}"
    shutil.rmtree(output_dir, ignore_errors=True)
    say(f"etl-job run on {rows:,} ratings (load average {os.getloadavg()[0]:.2f}) ...")
    with own_redis(work / f"redis-{rows}") as redis_server:
        result: EtlResult = run_etl(data_dir=data, output_dir=output_dir,
                                    redis_url=redis_server.url, key_prefix=KEY_PREFIX,
                                    repo=REPO, log_path=work / f"etl-{rows}.log")
        redis_memory = redis_server.info_memory()
    say(f"{rows:,}: exit {result.returncode}, {result.seconds:.1f} s, peak "
        f"{result.peak_rss / MB:,.0f} MB")
    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(output_dir, ignore_errors=True)
    manifest = result.manifest
    return {
        "rows": rows, "users": spec.users, "returncode": result.returncode,
        "seconds": round(result.seconds, 1), "peak_rss_bytes": result.peak_rss,
        "stages": [{"name": s.name, "seconds": s.seconds, "peak_rss_bytes": s.peak_rss}
                   for s in result.stages],
        "ratings_kept": manifest.get("rows", {}).get("ratings"),
        "movies": manifest.get("model", {}).get("movies"),
        "redis_memory": redis_memory,
        "load_average_after": round(os.getloadavg()[0], 2),
        "output_tail": result.output_tail if result.returncode else "",
    }


def verdicts(sizes: list[dict[str, Any]]) -> list[str]:
    """The scaling targets, each met or missed with the figures that decide it."""
    done = {s["rows"]: s for s in sizes if s["returncode"] == 0}
    lines = []
    if len(done) >= 2:
        # Marginal seconds per extra million between sizes: a fixed cost per run (start-up,
        # the catalog, item x item work over the same movies) cancels out; linear time keeps
        # these steps equal.
        steps = [(low, high, (done[high]["seconds"] - done[low]["seconds"])
                  / ((high - low) / 1e6))
                 for low, high in itertools.pairwise(sorted(done))]
        lines.append("seconds per extra million ratings: " + ", ".join(
            f"{low / 1e6:g}M→{high / 1e6:g}M {value:.1f} s" for low, high, value in steps)
            + " (linear time keeps these equal)")
    big, mid = done.get(SIZES[-1]), done.get(SIZES[1])
    if big is not None and mid is not None:
        ratio = big["peak_rss_bytes"] / mid["peak_rss_bytes"]
        lines.append(f"peak memory 33M / 11M = {ratio:.2f} (target < {TARGET_PEAK_RATIO}): "
                     + ("met" if ratio < TARGET_PEAK_RATIO else "MISSED: " + _peak_why(big, mid)))
    if big is not None:
        lines.append(f"33M wall {big['seconds']:.0f} s (target < {TARGET_SECONDS} s): "
                     + ("met" if big["seconds"] < TARGET_SECONDS else "MISSED: " + _time_why(big)))
        peak = big["peak_rss_bytes"]
        lines.append(f"33M peak {peak / 2**30:.2f} GB (target < 4 GB): "
                     + ("met" if peak < TARGET_PEAK_BYTES else "MISSED: " + _peak_why(big, mid)))
    return lines


def _top(size: dict[str, Any], key: str) -> dict[str, Any]:
    return max(size["stages"], key=lambda stage: stage[key] or 0)


def _peak_why(big: dict[str, Any], mid: dict[str, Any] | None) -> str:
    """The stage holding the peak, how it grew from the middle size, and which stage grew most."""
    stage = _top(big, "peak_rss_bytes")
    text = f"the peak is in stage {stage['name']} ({stage['peak_rss_bytes'] / MB:,.0f} MB"
    if mid is None:
        return text + ")"
    before = {st["name"]: st["peak_rss_bytes"] for st in mid["stages"]}
    if before.get(stage["name"]):
        text += f", x{stage['peak_rss_bytes'] / before[stage['name']]:.2f} of its peak at 11M"
    grown = [(st["peak_rss_bytes"] - before[st["name"]], st["name"]) for st in big["stages"]
             if st["peak_rss_bytes"] and before.get(st["name"])]
    if grown:
        most, name = max(grown)
        text += f"; stage {name} grew most, +{most / MB:,.0f} MB"
    return text + ")"


def _time_why(big: dict[str, Any]) -> str:
    stage = _top(big, "seconds")
    return (f"the longest stage is {stage['name']} ({stage['seconds']:.0f} s of "
            f"{big['seconds']:.0f}); load average (1 min) {big['load_average_after']} on "
            f"{os.cpu_count()} CPUs after the run, so the machine was shared")


def _commit() -> str:
    """The code measured: the checkout's commit (the ETL's key layout and depth change)."""
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--rows", type=lambda t: [int(x) for x in t.split(",")],
                        default=list(SIZES), help="comma-separated ratings counts")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=REPO / "var" / "bench" / "scaling")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "scaling.json")
    parser.add_argument("--keep-data", action="store_true",
                        help="keep the generated folders (several GB at 33M)")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sizes: list[dict[str, Any]] = []
    for rows in args.rows:
        sizes.append(measure(rows, work=args.work_dir, seed=args.seed,
                             keep_data=args.keep_data))
        # Written after every size, so a stopped run still leaves what it measured.
        record = {
            "commit": _commit(),
            "command": "python -m bench.scaling " + " ".join(argv if argv is not None
                                                             else sys.argv[1:]),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} CPUs, load average (1 min) after the last size "
                       f"{os.getloadavg()[0]:.2f}",
            "sizes": sizes, "verdicts": verdicts(sizes),
            "seconds": round(time.perf_counter() - started, 1),
        }
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(f"{args.out} written in {time.perf_counter() - started:.0f} s")
    return 0 if all(s["returncode"] == 0 for s in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
