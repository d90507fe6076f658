"""`make bench`: generated full-scale data, then the ETL, serving and memory -> results.json.

Every process is its own: a redis-server and the services on free ports (never the machine's
6379), an OUTPUT_DIR under the work dir. bench.report renders the JSON as bench/results.md.
"""

import argparse
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil
import redis
from catalog_service.index import load_index
from contracts.redis_layout import MAX_NEIGHBOURS, RedisLayout, as_text, decode_meta
from contracts.schema import CURRENT_LINK

from bench import generate
from bench.measure import redis_memory, run_etl, tree_rss
from bench.serving import measure_serving, running_stack
from harness import RedisServer

REPO = generate.REPO
KEY_PREFIX = "bench"
SCHEMA_VERSION = 2
PACKAGES = ("polars", "numpy", "fastapi", "uvicorn", "httpx", "redis")
say = functools.partial(print, flush=True)


def first_line(args: list[str]) -> str:
    """The first line a command prints (wrk -v exits 1 after printing its version)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "n/a"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "n/a"


def machine() -> dict[str, str]:
    """What the figures depend on: CPU, memory, versions, the commit, how busy the box was."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    git = ["git", "-C", str(REPO)]
    commit = first_line([*git, "rev-parse", "--short", "HEAD"])
    dirty = first_line([*git, "status", "--porcelain", "--untracked-files=no"])
    memory = psutil.virtual_memory().total / 2**30
    return {
        "Machine": f"{models[0] if models else platform.processor()}, {os.cpu_count()} logical "
        f"cores, {memory:.1f} GiB RAM",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Packages": ", ".join(f"{name} {version(name)}" for name in PACKAGES),
        "Tools": f"{first_line(['redis-server', '--version'])}; {first_line(['wrk', '-v'])}",
        "Commit": commit + (" (with uncommitted changes)" if dirty not in ("", "n/a") else ""),
        "Load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def published_contents(redis_url: str, key_prefix: str) -> dict[str, int]:
    """What the current version holds (its meta, as the ETL wrote it) and the key count."""
    layout = RedisLayout(key_prefix)
    with redis.Redis.from_url(redis_url) as client:
        current = client.get(layout.current)
        meta = decode_meta(client.get(layout.meta(as_text(current)))) if current else {}
        return {
            "keys": int(client.dbsize()),
            "titles": int(meta.get("movies", 0)),
            "titles_with_neighbours": int(meta.get("movies_with_neighbours", 0)),
            "neighbour_rows": int(meta.get("neighbour_rows", 0)),
            "max_neighbours": MAX_NEIGHBOURS,
        }


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work_dir
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commands": [f"uv run --locked python -m bench.run {' '.join(args.argv)}".strip()],
        "notes": [],
    }
    data = work / "generated-data"
    spec = generate.Spec(args.rows, generate.default_users(args.rows), args.seed)
    doc["generated"] = generate.reuse_or_generate(
        data, spec, catalog_dir=args.catalog_dir, regenerate=args.regenerate
    )
    doc["commands"].append(
        f"python -m bench.generate --rows {args.rows} --seed {args.seed} --out {data}"
    )
    with RedisServer(work / "redis") as redis_server:
        output_dir, url = work / "etl", redis_server.url
        shutil.rmtree(output_dir, ignore_errors=True)
        memory = doc["memory"] = {"redis_empty": redis_memory(url)}
        say("etl: etl-job run on the generated data ...")
        log = logs / "etl.log"
        etl = doc["etl"] = run_etl(
            data, output_dir, redis_url=url, key_prefix=KEY_PREFIX, log_path=log
        )
        doc["commands"].append(etl["command"])
        peak = etl["peak_rss"] / 2**20
        say(f"etl: exit {etl['returncode']} in {etl['seconds']:.1f} s, peak {peak:,.0f} MB")
        memory["redis"] = redis_memory(url)
        memory["redis_contents"] = published_contents(url, KEY_PREFIX)
        if etl["returncode"] == 0:
            serve(doc, args, catalog=output_dir / CURRENT_LINK, redis_url=url, logs=logs)
        else:
            doc["notes"].append("The ETL failed, so serving was not measured.")
    load_average = f"{os.getloadavg()[0]:.2f}"
    doc["notes"].append(f"Load average (1 min) at the end: {load_average}; the machine is shared.")
    return doc


def serve(
    doc: dict[str, Any], args: argparse.Namespace, *, catalog: Path, redis_url: str, logs: Path
) -> None:
    """The serving section on the ETL's catalog and published model, and each service's memory."""
    doc["commands"].append(f"wrk -t1 -c{args.connections} -d{args.seconds}s -s <paths>.lua <url>")
    say(f"serving: starting the stack (load average {os.getloadavg()[0]:.2f}) ...")
    with running_stack(
        catalog_path=catalog, redis_url=redis_url, key_prefix=KEY_PREFIX, logs=logs
    ) as stack:
        index = load_index(catalog)
        doc["serving"] = measure_serving(
            stack, index, connections=args.connections, seconds=args.seconds, say=say
        )
        doc["memory"]["services"] = {s.name: tree_rss(s.running_pid()) for s in stack.values()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--rows", type=int, default=generate.FULL_ROWS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--regenerate", action="store_true", help="write the data again")
    parser.add_argument("--catalog-dir", type=Path, default=generate.DEFAULT_CATALOG_DIR)
    parser.add_argument("--work-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--seconds", type=int, default=5, help="wrk seconds per run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections per run")
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed; install it (apt-get install -y wrk) and re-run")
    started = time.perf_counter()
    doc = run(args)
    # default=str: a figure of an unexpected type is written as text rather than losing the run.
    text = json.dumps(doc, indent=1, ensure_ascii=False, default=str)
    args.results.write_text(text + "\n", encoding="utf-8")
    say(f"bench: {args.results} written in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
