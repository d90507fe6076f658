"""Processes the benchmarks start and measure: a Redis of their own, the services, the ETL."""

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

import harness

PYTHON = sys.executable
BIN = Path(sys.executable).parent


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its children (uvicorn workers), 0 once it is gone."""
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class RedisProcess(harness.RedisServer):
    """A redis-server of the benchmark's own on a free port: never the machine's 6379."""

    def info_memory(self) -> dict[str, int]:
        client = redis.Redis.from_url(self.url)
        try:
            info = client.info("memory")
        finally:
            client.close()
        return {key: int(info[key]) for key in ("used_memory", "used_memory_rss",
                                                "used_memory_peak")}


@contextmanager
def own_redis(workdir: Path) -> Iterator[RedisProcess]:
    with RedisProcess(workdir) as server:
        yield server


class Service(harness.Service):
    """One uvicorn process started the way `make up` starts it, whose memory can be read."""

    def rss(self) -> int:
        return tree_rss(self.pid) if self.pid is not None else 0


@dataclass(frozen=True)
class Measured:
    """A finished command: exit code, wall seconds, peak RSS, and an RSS timeline."""

    returncode: int
    seconds: float
    peak_rss: int  # bytes, from the kernel (wait4), exact
    timeline: list[tuple[float, int]]  # (seconds since start, RSS bytes of the process tree)
    ended_at: float  # time.time() when it exited
    output: str


def run_measured(args: list[str], *, env: dict[str, str], cwd: Path, log_path: Path,
                 interval: float = 0.05) -> Measured:
    """Run a command to completion, sampling its memory.

    Peak RSS is wait4's for the child unless that cannot be told apart from this process's
    own: Linux carries the parent's memory high-water mark into a forked (or vforked) child
    at exec, so after this process held 3 GB (bench.scaling generating 33M ratings) a child
    that never passed 1.8 GB reported 3.1 GB. Then the sampled peak is the figure.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    own_high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(args, env={**os.environ, **env}, cwd=cwd, stdout=log,
                                   stderr=subprocess.STDOUT)
        timeline: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                timeline.append((time.perf_counter() - started, tree_rss(process.pid)))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        ended_at = time.time()
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    sampled = max((rss for _, rss in timeline), default=0)
    reported = usage.ru_maxrss * 1024
    peak = max(reported, sampled) if reported > own_high_water else sampled
    return Measured(returncode=process.returncode, seconds=seconds,
                    peak_rss=peak, timeline=timeline, ended_at=ended_at,
                    output=log_path.read_text(encoding="utf-8", errors="replace"))
