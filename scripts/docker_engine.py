"""The local Docker Engine: start dockerd when none answers, pick a BuildKit client and Compose."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from dotenv import dotenv_values

from harness import wait_for

REPO = Path(__file__).resolve().parents[1]
DOCKERD_LOG = REPO / ".run" / "dockerd.log"
DAEMON_WAIT_SECONDS = 60
# Debian's docker.io client; it speaks BuildKit itself, where Docker 23+ clients need buildx.
DEBIAN_CLIENT = Path("/usr/bin/docker")


def env_example() -> dict[str, str]:
    """The documented defaults (.env.example), which the compose file's defaults equal."""
    return {key: value or "" for key, value in dotenv_values(REPO / ".env.example").items()}


class EngineError(RuntimeError):
    """The engine, a BuildKit-capable client or Compose is missing; the message says what to do."""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def daemon_answers(client: str = "docker") -> bool:
    try:
        return run([client, "info", "--format", "{{.ServerVersion}}"], timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_daemon() -> None:
    """Start dockerd (as root, detached, logging to .run/dockerd.log) unless one answers."""
    if daemon_answers():
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        raise EngineError(
            "no Docker daemon answers and this user cannot start one: as root, "
            "`apt-get install docker.io` (the engine) or start dockerd"
        )
    DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
    print(f"starting dockerd (log: {DOCKERD_LOG.relative_to(REPO)})", flush=True)
    with DOCKERD_LOG.open("ab") as log:
        # Its own session, so it outlives this command and the make that ran it.
        subprocess.Popen(
            [dockerd],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    if not wait_for(daemon_answers, DAEMON_WAIT_SECONDS, interval=1):
        raise EngineError(
            f"dockerd did not answer within {DAEMON_WAIT_SECONDS} s; see {DOCKERD_LOG}"
        )


def client_major(client: str) -> int:
    version = run([client, "version", "--format", "{{.Client.Version}}"], timeout=20).stdout
    match = re.match(r"(\d+)\.", version.strip())
    return int(match[1]) if match else 0


def buildkit_client() -> tuple[str, dict[str, str]]:
    """A docker client that builds with BuildKit (the Dockerfiles' cache mounts need it), and
    the environment to run it with."""
    candidates = [shutil.which("docker"), str(DEBIAN_CLIENT) if DEBIAN_CLIENT.exists() else None]
    for client in dict.fromkeys(c for c in candidates if c):
        if run([client, "buildx", "version"], timeout=20).returncode == 0:
            return client, {**os.environ, "DOCKER_BUILDKIT": "1"}
        # Before Docker 23 the client itself drives the daemon's BuildKit.
        if 0 < client_major(client) < 23:
            return client, {**os.environ, "DOCKER_BUILDKIT": "1"}
    raise EngineError(
        "no docker client here can build with BuildKit: install the buildx plugin "
        "(docker-buildx) or Debian's docker.io client (/usr/bin/docker)"
    )


def compose_command() -> list[str]:
    """`docker compose` (v2) when the plugin is there, else Debian's docker-compose 1.29."""
    if run(["docker", "compose", "version"], timeout=20).returncode == 0:
        return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return [legacy]
    raise EngineError(
        "neither `docker compose` (v2) nor `docker-compose` is installed: "
        "`apt-get install docker-compose`"
    )
