"""Run the whole system on this machine: `make up` / `make down` / `make status` call this."""

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from harness import NotReady, Process, RedisServer, Service, port_open, stop_pid

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample"
READY_TIMEOUT_SECONDS = 60


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
        Service("catalog-service", "catalog_service.main:create_app",
                {"CATALOG_PATH": str(catalog_path)}, log("catalog-service"), port=catalog_port,
                cwd=REPO),
        Service("recsys-service", "recsys_service.main:create_app", redis, log("recsys-service"),
                port=recsys_port, cwd=REPO),
        Service("gateway", "gateway.main:create_app", {
            "CATALOG_SERVICE_URL": f"http://127.0.0.1:{catalog_port}",
            "RECSYS_SERVICE_URL": f"http://127.0.0.1:{recsys_port}",
        }, log("gateway"), port=gateway_port, cwd=REPO),
    ]


def log(name: str) -> Path:
    return RUN_DIR / f"{name}.log"


def redis_url() -> str:
    return env("REDIS_URL", "redis://127.0.0.1:6379/0")


def ensure_redis() -> None:
    url = urlparse(redis_url())
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if port_open(port, host):
        print(f"Redis answers at {host}:{port}; using it (key prefix "
              f"{env('REDIS_KEY_PREFIX', 'recs')!r}).")
        return
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(f"Redis at {host}:{port} does not answer and is not local: start it, "
                 "or point REDIS_URL at one that runs.")
    try:
        server = RedisServer(RUN_DIR, port=port, password=url.password,
                             log_path=RUN_DIR / "redis.log")
        server.start()
    except RuntimeError as error:  # no binary, or it did not start (NotReady)
        sys.exit(f"Could not start a Redis: {error}")
    remember_pid("redis", server)
    print(f"Started redis-server on {host}:{port} ({server.command[0]}).")


def remember_pid(name: str, process: Process) -> None:
    """The pid `make down` stops later, from another invocation."""
    RUN_DIR.mkdir(exist_ok=True)
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


def check_ports_free() -> None:
    """Before the ETL (tens of seconds on the real data), so a taken port fails at once."""
    for service in services():
        if port_open(service.port):
            sys.exit(f"port {service.port} for {service.name} is taken: set "
                     f"{service.name.split('-')[0].upper()}_PORT to a free one.")


def up() -> None:
    down(quiet=True)
    check_ports_free()
    ensure_redis()
    etl_env = {"DATA_DIR": str(data_dir()), "OUTPUT_DIR": str(output_dir()),
               "REDIS_URL": redis_url(), "REDIS_KEY_PREFIX": env("REDIS_KEY_PREFIX", "recs")}
    print(f"Running the ETL on {etl_env['DATA_DIR']} -> {etl_env['OUTPUT_DIR']} ...")
    subprocess.run([sys.executable, "-m", "etl_job.cli", "run"], cwd=REPO,
                   env={**os.environ, **etl_env}, check=True)
    started = []
    for service in services():
        service.launch()
        remember_pid(service.name, service)
        started.append(service)
    for service in started:
        try:
            service.wait_ready(READY_TIMEOUT_SECONDS)
        except NotReady as error:
            sys.exit(str(error))
        print(f"{service.name:16} ready at {service.url}")
    gateway = started[-1]
    print(f"\nPage:    {gateway.url}/  (find a title, where to watch it, recommendations)")
    print(f"API:     {gateway.url}  (docs: {gateway.url}/docs)  — stop with `make down`.")


def down(quiet: bool = False) -> None:
    for name in [s.name for s in services()] + ["redis"]:
        pid = running_pid(name)
        if pid is None:
            continue
        stop_pid(pid, timeout=5)
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
