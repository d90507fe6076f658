"""`make bench`: generate full-scale data, measure ETL, serving, costs and memory -> results.json.

Everything runs against processes of its own: a redis-server on a free port (never the
machine's 6379), an OUTPUT_DIR under var/bench, services on free ports.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import redis
from catalog_service.index import load_index
from contracts.redis_layout import MAX_NEIGHBOURS, RedisLayout, as_text, decode_meta
from contracts.schema import CURRENT_LINK

from bench import generate
from bench.etl import run_etl
from bench.inprocess import catalog_costs, redis_costs
from bench.load import wrk_binary
from bench.procs import PYTHON, own_redis, run_measured
from bench.random_load import run_random
from bench.results import Results, write_json
from bench.serving import BASELINE, answered, load_target, running_stack
from bench.targets import ROUTES, route_queries

REPO = generate.REPO
KEY_PREFIX = "bench"
NO_CACHE = "Gateway with its answer cache off (DOWNSTREAM_CACHE_SECONDS=0): two hops per call"


def say(message: str) -> None:
    print(message, flush=True)


def _version(args: list[str]) -> str:
    """First line a command prints (wrk -v exits 1 after printing its version)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "n/a"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "n/a"


def ensure_wrk() -> None:
    """wrk comes from Debian; install it when missing and allowed (root), else say how."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("bench: wrk is not installed; install it (apt-get install -y wrk) and re-run")
    say("bench: wrk is missing; installing it with apt-get ...")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install, capture_output=True, check=True)


def machine() -> dict[str, str]:
    """What the figures depend on: CPU, memory, versions, the commit, how busy the box was."""
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "unknown")
    packages = ", ".join(f"{name} {version(name)}" for name in
                         ("polars", "pandas", "numpy", "fastapi", "uvicorn", "httpx", "redis"))
    commit = _version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True, text=True,
                           check=False).stdout.strip()
    return {
        "Machine": f"{cpu}, {os.cpu_count()} logical cores, "
                   f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Packages": packages,
        "Tools": f"{_version(['redis-server', '--version'])}; {_version([wrk_binary(), '-v'])}",
        "Commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "Load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def data_dir(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The generated DATA_DIR: reused when its marker matches the spec, else written anew."""
    out = args.work_dir / "generated-data"
    spec = generate.Spec(rows=args.rows, users=args.users or generate.default_users(args.rows),
                         seed=args.seed)
    found = generate.marker(out)
    wanted = {"rows": spec.rows, "users": spec.users, "seed": spec.seed, "files": spec.files,
              "generator_version": generate.GENERATOR_VERSION}
    if not args.regenerate and found and all(found.get(k) == v for k, v in wanted.items()):
        say(f"data: reusing GENERATED data in {out}")
        return out, {**found, "out": str(out)}
    say(f"data: generating {spec.rows:,} ratings ({spec.users:,} users) into {out} ...")
    record = generate.generate(out=out, spec=spec, catalog_dir=args.catalog_dir)
    say(f"data: written in {record['seconds']} s")
    return out, {**record, "out": str(out)}


def pandas_reference(data: Path, logs: Path) -> dict[str, Any]:
    measured = run_measured([PYTHON, "-m", "bench.pandas_way", "--data-dir", str(data)],
                            env={}, cwd=REPO, log_path=logs / "pandas.log")
    if measured.returncode != 0:
        raise RuntimeError(f"bench.pandas_way failed:\n{measured.output[-2000:]}")
    line = next(raw for raw in reversed(measured.output.splitlines()) if raw.startswith("{"))
    return {**json.loads(line), "peak_rss": measured.peak_rss}


def published_contents(redis_url: str, key_prefix: str) -> dict[str, int]:
    """What the current version holds (its meta, as the ETL wrote it) and the key count."""
    layout = RedisLayout(key_prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        current = client.get(layout.current)
        meta = decode_meta(client.get(layout.meta(as_text(current)))) if current else {}
        return {"keys": int(client.dbsize()), "titles": int(meta.get("movies", 0)),
                "titles_with_neighbours": int(meta.get("movies_with_neighbours", 0)),
                "neighbour_rows": int(meta.get("neighbour_rows", 0)),
                "max_neighbours": MAX_NEIGHBOURS}
    finally:
        client.close()


def serve(args: argparse.Namespace, results: Results, *, run_dir: Path, redis_url: str,
          logs: Path) -> None:
    index = load_index(run_dir)
    queries = route_queries(index)
    say("in-process: catalog queries ...")
    results.catalog_costs = catalog_costs(index, queries)
    movie_ids = [entry.id for entry in index.search_entries][:2000]  # movies, one per title
    titles = [q.params["titulo"] for q in queries["get_recommendation"]]
    say("in-process: Redis neighbour reads ...")
    results.redis_costs = redis_costs(redis_url, KEY_PREFIX, movie_ids, titles)
    say(f"serving: starting the stack (load average {os.getloadavg()[0]:.2f}) ...")
    with running_stack(catalog_path=run_dir, redis_url=redis_url, key_prefix=KEY_PREFIX,
                       logs=logs) as stack:
        paths: dict[str, list[str]] = {}
        for route in ROUTES:
            good, bad = answered(stack.gateway.url, queries[route])
            paths[route] = [query.path for query in good]
            if bad:
                results.left_out[route] = len(bad)
        targets = [(BASELINE, stack.bare.url, ["/"])]
        targets += [(route, stack.gateway.url, paths[route]) for route in ROUTES if paths[route]]
        for name, url, target_paths in targets:
            results.loads.append(load_target(
                name, url, target_paths, concurrencies=args.concurrency, seconds=args.seconds,
                reference=args.reference, progress=say))
        results.service_rss = {service.name: service.rss() for service in stack.services}
        say("serving: the gateway again with its answer cache off (every call two hops) ...")
        uncached = stack.extra_gateway("gateway-no-cache", {"DOWNSTREAM_CACHE_SECONDS": "0"})
        results.variants[NO_CACHE] = [
            load_target(route, uncached.url, paths[route], concurrencies=[args.reference],
                        seconds=args.seconds, reference=args.reference, progress=say)
            for route in ROUTES if paths[route]]
        say("serving: random traffic over the whole domain (the uncached case) ...")
        results.random = run_random(stack, catalog_path=run_dir, seconds=args.seconds,
                                    reference=args.reference, work_dir=logs.parent,
                                    progress=say)


def run(args: argparse.Namespace) -> Results:
    work: Path = args.work_dir
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results = Results(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
        commands=[f"uv run --locked python -m bench.run {' '.join(args.argv)}".strip()],
        reference_connections=args.reference, load_seconds=args.seconds)
    data, results.generated = data_dir(args)
    results.commands.append(f"python -m bench.generate --rows {args.rows} --seed {args.seed} "
                            f"--out {data}")
    with own_redis(work / "redis") as redis_server:
        output_dir = work / "etl"
        shutil.rmtree(output_dir, ignore_errors=True)
        results.redis_empty = redis_server.info_memory()
        say("etl: etl-job run on the generated data ...")
        results.etl = run_etl(data_dir=data, output_dir=output_dir, redis_url=redis_server.url,
                              key_prefix=KEY_PREFIX, repo=REPO, log_path=logs / "etl.log")
        results.commands.append(results.etl.command)
        say(f"etl: exit {results.etl.returncode} in {results.etl.seconds:.1f} s, peak "
            f"{results.etl.peak_rss / 2**20:,.0f} MB")
        results.redis_memory = redis_server.info_memory()
        results.redis_contents = published_contents(redis_server.url, KEY_PREFIX)
        say("pandas: the same work the pandas way ...")
        results.pandas = pandas_reference(data, logs)
        results.commands.append(f"python -m bench.pandas_way --data-dir {data}")
        if results.etl.returncode != 0:
            results.notes.append("The ETL failed, so serving and in-process costs were not "
                                 "measured (they need its catalog and published model).")
            return results
        results.commands.append(
            f"wrk -t1 -c<{'|'.join(map(str, args.concurrency))}> -d{args.seconds}s "
            "-s <rotating queries + JSON summary>.lua <url>")
        serve(args, results, run_dir=output_dir / CURRENT_LINK, redis_url=redis_server.url,
              logs=logs)
    results.load_average_end = round(os.getloadavg()[0], 2)
    results.notes.append("Load average (1 min) at the end: "
                         f"{results.load_average_end:.2f}; the machine is shared, so figures move "
                         "between runs.")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--rows", type=int, default=generate.FULL_ROWS)
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--regenerate", action="store_true",
                        help="write the generated data again even if it matches")
    parser.add_argument("--catalog-dir", type=Path, default=generate.DEFAULT_CATALOG_DIR)
    parser.add_argument("--work-dir", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--seconds", type=int, default=5, help="wrk seconds per cell")
    parser.add_argument("--concurrency", type=lambda text: [int(x) for x in text.split(",")],
                        default=[1, 16, 64])
    parser.add_argument("--reference", type=int, default=16,
                        help="concurrency of the ratios and of the paced run")
    args = parser.parse_args(argv)
    if args.reference not in args.concurrency:
        args.concurrency = sorted({*args.concurrency, args.reference})
    args.argv = list(argv if argv is not None else sys.argv[1:])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_wrk()
    started = time.perf_counter()
    results = run(args)
    write_json(results, args.results)
    say(f"bench: {args.results} written in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
