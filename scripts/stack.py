"""Run the whole system on this machine: `make up`, `down`, `status`, `etl`, `clean` call this."""

import argparse
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from contracts.redaction import redact_text
from etl_job.progress import report_stages, stage

from harness import NotReady, Process, RedisServer, Service, pid_alive, port_open, stop_pid

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
SAMPLE_DATA = REPO / "tests" / "fixtures" / "sample"
READY_TIMEOUT_SECONDS = 60
# Each service's port, from <FIRST WORD>_PORT (GATEWAY_PORT, ...), else this default.
DEFAULT_PORTS = {"catalog-service": 8101, "recsys-service": 8102, "gateway": 8000}
# The dataset `make up` used, so `make etl` runs on it again without being told.
REMEMBERED_DATA_DIR = RUN_DIR / "data_dir"
# A query that answers on each dataset (sample, real), printed with its answer after `make up`.
EXAMPLES = ("/get_max_duration?platform=netflix&year=2020", "/get_actor?platform=netflix&year=2018")


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


OUTPUT_DIR = (REPO / env("OUTPUT_DIR", "var/etl")).resolve()
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
KEY_PREFIX = env("REDIS_KEY_PREFIX", "recs")


def holds_dataset(path: Path) -> bool:
    return (path / "netflix_titles.csv").is_file()


def data_dir(*, remembered: bool = False) -> Path:
    """DATA_DIR if it holds the data, else (`make etl`) the one `make up` used, else the sample."""
    configured = env("DATA_DIR", "data/raw")
    path = REPO / configured  # an absolute DATA_DIR stays itself
    if holds_dataset(path):
        return path.resolve()
    if remembered and REMEMBERED_DATA_DIR.is_file():
        last = Path(REMEMBERED_DATA_DIR.read_text().strip())
        if holds_dataset(last):
            print(f"DATA_DIR {configured} holds no dataset; using {last}, the one `make up` used.")
            return last
    print(
        f"DATA_DIR {configured} holds no dataset; using the hand-written sample in "
        f"{SAMPLE_DATA.relative_to(REPO)} (point DATA_DIR at the real data to serve it)."
    )
    return SAMPLE_DATA


def remember_data_dir(data: Path) -> None:
    """Keep the dataset `make up` served for `make etl` (a fresh clone has no .run yet)."""
    RUN_DIR.mkdir(exist_ok=True)
    REMEMBERED_DATA_DIR.write_text(str(data))


def port_variable(name: str) -> str:
    return f"{name.split('-')[0].upper()}_PORT"


def services() -> list[Service]:
    """The three services in start order, the gateway last."""
    port = {name: int(env(port_variable(name), str(p))) for name, p in DEFAULT_PORTS.items()}
    settings = {
        "catalog-service": {"CATALOG_PATH": str(OUTPUT_DIR / "current" / "catalog.parquet")},
        "recsys-service": {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": KEY_PREFIX},
        "gateway": {
            "CATALOG_SERVICE_URL": f"http://127.0.0.1:{port['catalog-service']}",
            "RECSYS_SERVICE_URL": f"http://127.0.0.1:{port['recsys-service']}",
        },
    }
    return [
        Service(
            name,
            f"{name.replace('-', '_')}.main:create_app",
            settings[name],
            RUN_DIR / f"{name}.log",
            port=port[name],
            cwd=REPO,
        )
        for name in settings
    ]


def ensure_redis() -> None:
    url = urlparse(REDIS_URL)
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if port_open(port, host):
        print(f"Redis answers at {host}:{port}; using it (key prefix {KEY_PREFIX!r}).")
        return
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(
            f"Redis at {host}:{port} does not answer and is not local: start it, "
            "or point REDIS_URL at one that runs."
        )
    try:
        log = RUN_DIR / "redis.log"
        server = RedisServer(RUN_DIR, port=port, password=url.password, log_path=log)
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
    pid = int(pid_file.read_text()) if pid_file.is_file() else None
    if pid is not None and not pid_alive(pid):
        pid_file.unlink()
        return None
    return pid


def check_ports_free() -> None:
    """Before the ETL (tens of seconds on the real data), so a taken port fails at once."""
    for service in services():
        if port_open(service.port):
            sys.exit(
                f"port {service.port} for {service.name} is taken: set "
                f"{port_variable(service.name)} to a free one."
            )


def run_etl(data: Path, *, verbose: bool = False) -> int:
    """`etl-job run` on `data` into OUTPUT_DIR, publishing to REDIS_URL; its exit code."""
    etl_env = {
        "DATA_DIR": str(data),
        "OUTPUT_DIR": str(OUTPUT_DIR),
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": KEY_PREFIX,
    }
    print(f"The ETL on {data} -> {etl_env['OUTPUT_DIR']} (about a minute on the real data):")
    return subprocess.run(
        [sys.executable, "-m", "etl_job.cli", "run", *(["-v"] if verbose else [])],
        cwd=REPO,
        env={**os.environ, **etl_env},
        check=False,
    ).returncode


def print_examples(gateway_url: str, data: Path) -> None:
    """Two queries that answer on the data being served, each with its live answer."""
    print("\nTry:")
    for path in ("/get_count_platform?platform=netflix", EXAMPLES[data != SAMPLE_DATA]):
        try:
            with urllib.request.urlopen(gateway_url + path, timeout=10) as answer:
                body = answer.read().decode()
        except OSError as error:  # URLError and HTTPError included
            body = f"(no answer: {error})"
        print(f"  curl '{gateway_url}{path}'\n  {body}")


def up(*, verbose: bool = False) -> None:
    down(quiet=True)
    check_ports_free()
    ensure_redis()
    data = data_dir()
    if run_etl(data, verbose=verbose) != 0:
        sys.exit("The ETL failed (its message is above); nothing was started.")
    remember_data_dir(data)
    started = services()
    report_stages(prefix="up")
    with stage("starting services", "catalog-service, recsys-service, gateway"):
        for service in started:
            service.launch()
            remember_pid(service.name, service)
        for service in started:
            try:
                service.wait_ready(READY_TIMEOUT_SECONDS)
            except NotReady as error:
                sys.exit(str(error))
            print(f"{service.name:16} ready at {service.url}")
    gateway = started[-1]
    print(f"\nPage:    {gateway.url}/  (find a title, where to watch it, recommendations)")
    print(f"API:     {gateway.url}  (docs: {gateway.url}/docs)  — stop with `make down`.")
    print_examples(gateway.url, data)


def etl(*, verbose: bool = False) -> None:
    """`make etl`: the whole ETL again, on the DATA_DIR `make up` used unless one is given."""
    sys.exit(run_etl(data_dir(remembered=True), verbose=verbose))


def clean() -> None:
    """`make clean`: stop the stack, unlink this run's keys (no FLUSHDB: Redis may be shared)."""
    url = urlparse(REDIS_URL)
    if port_open(url.port or 6379, url.hostname or "127.0.0.1"):
        import redis
        from contracts.redis_layout import RedisLayout

        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=RedisLayout(KEY_PREFIX).match_all, count=1000))
            for start in range(0, len(keys), 1000):
                client.unlink(*keys[start : start + 1000])
        print(
            f"deleted {len(keys)} Redis keys under prefix {KEY_PREFIX!r} at "
            f"{redact_text(REDIS_URL)}"
        )
    else:
        print(f"no Redis answers at {redact_text(REDIS_URL)}: no keys to delete")
    down()


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
        print(f"{service.name:16} {'running pid ' + str(pid) if pid else 'stopped'}  {service.url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = {"up": up, "down": down, "status": status, "etl": etl, "clean": clean}
    parser.add_argument("command", choices=list(commands))
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="up, etl: also print the ETL's evaluation table (make up V=1)",
    )
    args = parser.parse_args()
    verbose = {"verbose": args.verbose} if args.command in ("up", "etl") else {}
    commands[args.command](**verbose)


if __name__ == "__main__":
    main()
