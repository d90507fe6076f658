"""Fixtures for the deployment checks: the files loaded once per session (tests/deploy/files.py
walks them), and compose as the compose tool itself renders it."""

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from deploy.files import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    K8S,
    PARTS,
    REPO,
    Manifest,
    Stage,
    compose_tool,
    load_documents,
    pod_template,
    stages,
)
from dotenv import dotenv_values


@pytest.fixture(scope="session")
def applied_manifests() -> list[Manifest]:
    """What `kubectl apply -f k8s/` applies: the top-level files, not k8s/tools/."""
    return [Manifest(path, doc) for path in sorted(K8S.glob("*.yaml"))
            for doc in load_documents(path)]


@pytest.fixture(scope="session")
def all_manifests() -> list[Manifest]:
    """Every manifest under k8s/, the optional tools included."""
    return [Manifest(path, doc) for path in sorted(K8S.glob("**/*.yaml"))
            for doc in load_documents(path)]


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_documents(COMPOSE_FILE)[0]


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    return {key: value or "" for key, value in dotenv_values(ENV_EXAMPLE).items()}


@pytest.fixture(scope="session")
def render_compose(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[dict[str, str]], subprocess.CompletedProcess[str]]:
    """`compose config` with exactly these variables (an env file; no shell variables, no
    .env of the developer's): the file as the tool interpolates and validates it."""
    tool = compose_tool()
    if tool is None:
        pytest.skip("no compose tool: `apt-get install docker-compose` (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("compose-env")

    def render(variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
        env_file = folder / f"{len(list(folder.iterdir()))}.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in variables.items()))
        return subprocess.run(
            [*tool, "--env-file", str(env_file), "--project-directory", str(REPO),
             "--file", str(COMPOSE_FILE), "config"],
            capture_output=True, text=True, check=False, timeout=120,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "DOCKER_HOST": "unix:///nonexistent"})

    return render


@pytest.fixture(scope="session")
def workloads(all_manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any]]]:
    """(manifest, pod template) for every object that runs pods."""
    return [(m, t) for m in all_manifests if (t := pod_template(m.doc)) is not None]


@pytest.fixture(scope="session")
def dockerfiles() -> dict[str, list[Stage]]:
    return {part: stages(REPO / part / "Dockerfile") for part in PARTS}
