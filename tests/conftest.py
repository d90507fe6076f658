"""Fixtures shared by every test: data folders, ETL outputs, free ports, real processes, Redis."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample"


def _real_data_dir() -> Path:
    configured = os.environ.get("DATA_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO.parent / "shared" / "data" / "raw")
    for candidate in candidates:
        path = candidate if candidate.is_absolute() else REPO / candidate
        if (path / "netflix_titles.csv").is_file():
            return path.resolve()
    return Path()


REAL_DATA = _real_data_dir()


@pytest.fixture(scope="session")
def sample_data_dir() -> Path:
    """The small hand-written dataset under tests/fixtures/sample."""
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real dataset (DATA_DIR, else ../shared/data/raw); never written to."""
    if Path() == REAL_DATA:
        pytest.skip("real dataset not found: set DATA_DIR (CI sets ../shared/data/raw)")
    return REAL_DATA


@pytest.fixture(scope="session")
def sample_catalog_dir(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETL output (run directory) for the hand-written sample."""
    from etl_job.pipeline import build_catalog

    return build_catalog(data_dir=sample_data_dir, output_dir=tmp_path_factory.mktemp("etl-sample"))


@pytest.fixture(scope="session")
def real_catalog_dir(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETL output (run directory) for the real dataset."""
    from etl_job.pipeline import build_catalog

    return build_catalog(data_dir=real_data_dir, output_dir=tmp_path_factory.mktemp("etl-real"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def unused_port() -> Callable[[], int]:
    return free_port


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


class ServiceProcess:
    """A service started as a real uvicorn process, the way `make up` starts it."""

    def __init__(self, app: str, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        cmd = [sys.executable, "-m", "uvicorn", "--factory", app,
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=self._log,
                                        stderr=subprocess.STDOUT, cwd=REPO)
        wait_for_http(f"{self.url}/healthz", process=self.process)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def start_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ServiceProcess]]:
    """Factory: start_service("catalog_service.main:create_app", {"CATALOG_PATH": ...})."""
    started: list[ServiceProcess] = []

    def start(app: str, env: dict[str, str]) -> ServiceProcess:
        log = tmp_path_factory.mktemp("logs") / f"{app.split('.')[0]}.log"
        service = ServiceProcess(app, env, log)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


class RedisServer:
    """A redis-server of the tests' own on a free port, which tests may stop and start."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on the PATH")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


class HandWrittenModel:
    """A hand-written recommender version over sample movies, published to a test Redis.

    `publish(redis_url, meta=...)` writes it under a fresh key prefix and returns that prefix;
    only ns1 ("the long night") has neighbours, best first.
    """

    movies: ClassVar[dict[str, str]] = {
        "ns1": "the long night", "ns2": "another long night", "ns3": "short film",
        "ns5": "tango story", "as8": "last tango", "hs7": "night drive",
        "hs8": "morning drive", "ds8": "winter song",
    }
    neighbours_of_ns1: ClassVar[list[tuple[str, float, str]]] = [
        ("ns2", 0.91, "shared director: ana ruiz"), ("hs7", 0.80, "shared genres: dramas"),
        ("as8", 0.72, "liked by the same viewers"), ("ns5", 0.64, "shared country: argentina"),
        ("hs8", 0.51, "liked by the same viewers"), ("ds8", 0.40, "shared genres: dramas"),
    ]

    def publish(self, redis_url: str, *, meta: dict, prefix_name: str = "test") -> str:
        import polars as pl
        from etl_job.publish import publish_neighbours

        prefix = f"{prefix_name}-{uuid.uuid4().hex[:8]}"
        neighbours = pl.DataFrame(
            [{"movie_id": "ns1", "rank": rank, "neighbour_id": other, "score": score,
              "reason": reason}
             for rank, (other, score, reason) in enumerate(self.neighbours_of_ns1, 1)],
            schema={"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
                    "score": pl.Float64, "reason": pl.String})
        titles = pl.DataFrame({"id": list(self.movies), "title": list(self.movies.values())})
        publish_neighbours(redis_url=redis_url, key_prefix=prefix, neighbours=neighbours,
                           titles=titles, meta=meta)
        return prefix


@pytest.fixture(scope="session")
def hand_written_model() -> HandWrittenModel:
    return HandWrittenModel()
