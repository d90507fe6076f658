"""`make compose-smoke`: build the images, bring the compose stack up on the real data, run the
smoke tests (tests/deploy/test_compose_stack.py) through the published gateway, then tear the
stack down (`down -v`) and check that nothing of it is left."""

import json
import os
import secrets
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import base_images
import images
from docker_engine import REPO, EngineError, compose_command, env_example, run

from harness import free_port, wait_for

HEALTH_TIMEOUT_SECONDS = 600
SMOKE_TESTS = "tests/deploy/test_compose_stack.py"


def data_dir() -> Path:
    configured = os.environ.get("DATA_DIR") or "data/raw"
    path = REPO / configured  # an absolute DATA_DIR stays itself
    if not (path / "netflix_titles.csv").is_file():
        raise SystemExit(
            f"DATA_DIR={configured} holds no dataset: the smoke test checks the "
            f"real data's answers (CI sets DATA_DIR=../shared/data/raw)"
        )
    return path.resolve()


def stack_env(bases: base_images.BaseImages, port: int) -> dict[str, str]:
    """Every variable the compose file reads, set here so that neither a developer's .env nor
    this shell's settings (make exports DATA_DIR) change the stack under test."""
    documented = env_example()
    # The secrets are the values .env.example leaves empty: fresh random ones for this stack.
    fresh = {key: secrets.token_hex(24) for key, value in documented.items() if not value}
    chosen = {"REDIS_IMAGE": bases.redis, "DATA_DIR": str(data_dir()), "GATEWAY_PORT": str(port)}
    return {**os.environ, **documented, **fresh, **chosen}


def inspect(compose: list[str], env: dict[str, str], service: str, template: str) -> str:
    """`docker inspect --format template` of the service's container; "" before it has one."""
    container = run([*compose, "ps", "-q", service], env=env, timeout=60).stdout.strip()
    if not container:
        return ""
    return run(["docker", "inspect", "--format", template, container], timeout=30).stdout.strip()


def healthy(compose: list[str], env: dict[str, str]) -> bool:
    """Whether the proxy's ready check (the gateway's, through it) passes; stops early if the ETL
    one-shot failed."""
    if inspect(compose, env, "edge-proxy", "{{.State.Health.Status}}") == "healthy":
        return True
    state = inspect(compose, env, "etl-job", "{{.State.Status}} {{.State.ExitCode}}").split()
    if state and state[0] == "exited" and state[1] != "0":
        raise SystemExit(f"the ETL one-shot exited with {state[1]}")
    return False


def leftovers(project: str) -> dict[str, list[str]]:
    """The containers, networks and volumes still labelled with the compose project."""
    label = f"label=com.docker.compose.project={project}"
    listings = {"containers": "ps -a", "networks": "network ls", "volumes": "volume ls"}
    found = {
        kind: run(["docker", *listing.split(), "-q", "--filter", label], timeout=60).stdout.split()
        for kind, listing in listings.items()
    }
    return {kind: ids for kind, ids in found.items() if ids}


def step(name: str, started: float) -> None:
    print(f"compose-smoke: {name} ({time.monotonic() - started:.0f} s)", flush=True)


def main() -> None:
    started = time.monotonic()
    try:
        bases = base_images.resolve()
        client, build_env = images.buildkit_client()
        for part in images.IMAGES:
            images.build(part, bases, client, build_env)
        compose = compose_command()
    except EngineError as error:
        raise SystemExit(str(error)) from None
    step("images built", started)
    project = f"streaming-recs-smoke-{secrets.token_hex(3)}"
    port = free_port()
    env = stack_env(bases, port)
    command = [*compose, "--project-name", project, "--project-directory", str(REPO)]
    command += ["--file", str(REPO / "docker-compose.yml")]
    outcome = 1
    try:
        up = subprocess.run([*command, "up", "--detach", "--no-build"], env=env, check=False)
        if up.returncode != 0:
            raise SystemExit("docker compose up failed")
        if not wait_for(partial(healthy, command, env), HEALTH_TIMEOUT_SECONDS, interval=3):
            raise SystemExit(f"the proxy was not healthy within {HEALTH_TIMEOUT_SECONDS} s")
        step(f"stack {project} healthy, gateway on 127.0.0.1:{port}", started)
        tests = {
            **env,
            "COMPOSE_SMOKE_COMMAND": json.dumps(command),
            "COMPOSE_SMOKE_PROJECT": project,
            "GATEWAY_URL": f"http://127.0.0.1:{port}",
        }
        pytest = [sys.executable, "-m", "pytest", SMOKE_TESTS, "-p", "no:cacheprovider", "-q"]
        outcome = subprocess.run(pytest, cwd=REPO, env=tests, check=False).returncode
        step("smoke tests done", started)
    finally:
        if outcome != 0:
            subprocess.run([*command, "ps"], env=env, check=False)
            subprocess.run([*command, "logs", "--tail", "40"], env=env, check=False)
        down = [*command, "down", "--volumes", "--remove-orphans", "--timeout", "10"]
        subprocess.run(down, env=env, check=False)
    left = leftovers(project)
    if left:
        raise SystemExit(f"`down -v` left {left} behind")
    step("stack removed, nothing left behind", started)
    if outcome != 0:
        raise SystemExit(outcome)


if __name__ == "__main__":
    main()
