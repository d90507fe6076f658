"""Processes the benchmarks start and measure: a Redis of their own, the services, the ETL."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis

PYTHON = sys.executable
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass
class RedisProcess:
    """A redis-server of the benchmark's own on a free port: never the machine's 6379."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on the PATH (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise TimeoutError("redis-server did not start") from None
                time.sleep(0.05)

    def info_memory(self) -> dict[str, int]:
        info = redis.Redis.from_url(self.url).info("memory")
        return {key: int(info[key]) for key in ("used_memory", "used_memory_rss",
                                                "used_memory_peak")}

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def own_redis(workdir: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Service:
    """One uvicorn process started the way `make up` starts it (scripts/stack.py)."""

    name: str
    app: str
    env: dict[str, str]
    log_path: Path
    extra_args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/readyz", timeout: float = 120) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "--factory", self.app, "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", *self.extra_args],
            env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} was not ready within {timeout}s; see {self.log_path}")

    def rss(self) -> int:
        return tree_rss(self.process.pid) if self.process is not None else 0

    def stop(self) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None


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
    """Run a command to completion, sampling its memory; peak RSS comes from wait4."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
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
    return Measured(returncode=process.returncode, seconds=seconds,
                    peak_rss=usage.ru_maxrss * 1024, timeline=timeline, ended_at=ended_at,
                    output=log_path.read_text(encoding="utf-8", errors="replace"))
