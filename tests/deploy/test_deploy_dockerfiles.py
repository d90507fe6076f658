"""The rules of this project every image keeps, read with dockerfile-parse: a runtime stage
holding only the built virtualenv, a numeric user (the one Kubernetes runs), the command
Kubernetes runs too and that names real code, no secret or data baked in, and a build context
(docker-py's .dockerignore matching) that leaves data and secrets out. A non-root user and a
health check are checkov's (test_deploy_schemas.py).
Whether the images build and run is `make compose-smoke`'s job."""

import importlib
import re
import subprocess
import tomllib

import pytest
from deploy.files import PARTS, REPO, Stage, exec_form, pod_template
from docker.utils.build import exclude_paths

SERVICES = ("catalog-service", "recsys-service", "gateway")


def final_user(stages: list[Stage]) -> str:
    users = stages[-1].values("USER")
    return users[-1] if users else "root"


def command(stages: list[Stage]) -> list[str]:
    (cmd,) = stages[-1].values("CMD")
    return exec_form(cmd)


@pytest.mark.parametrize("part", PARTS)
def test_runtime_stage_takes_only_the_virtualenv(dockerfiles, part: str) -> None:
    stages = dockerfiles[part]
    runtime, builder = stages[-1], next(s for s in stages if s.name == "builder")
    # The same Python in both, so the venv's interpreter link holds.
    assert runtime.base == builder.base
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", runtime.base)
    assert runtime.values("COPY") == ["--from=builder /app/.venv /app/.venv"]
    assert not any(re.search(r"\buv\b", run) for run in runtime.values("RUN"))


@pytest.mark.parametrize("part", PARTS)
def test_image_runs_as_the_numeric_non_root_user_kubernetes_runs(
    dockerfiles, all_manifests, part: str
) -> None:
    user = final_user(dockerfiles[part])
    assert re.fullmatch(r"\d+:\d+", user), "numeric, so runAsNonRoot can verify it"
    pods = [t for m in all_manifests if (t := pod_template(m.doc)) is not None
            and any(c["image"].split(":")[0].endswith(f"/{part}") for c in t["spec"]["containers"])]
    assert pods
    assert {t["spec"]["securityContext"]["runAsUser"] for t in pods} == {int(user.split(":")[0])}


@pytest.mark.parametrize("part", PARTS)
def test_kubernetes_runs_the_images_command(dockerfiles, all_manifests, part: str) -> None:
    image_command = command(dockerfiles[part])
    assert image_command, "exec form, so signals reach the process"
    assert not dockerfiles[part][-1].values("ENTRYPOINT")
    commands = [c.get("command") for m in all_manifests
                if (t := pod_template(m.doc)) is not None
                for c in t["spec"]["containers"] if c["name"] == part]
    assert commands, f"no container named {part}"
    # A service's command lives once, in its image; the job's manifests may name it again.
    allowed = [None] if part in SERVICES else [None, image_command]
    assert all(c in allowed for c in commands), commands


@pytest.mark.parametrize("part", SERVICES)
def test_the_service_command_names_an_app_factory(dockerfiles, part: str) -> None:
    cmd = command(dockerfiles[part])
    module_name, _, factory = cmd[cmd.index("--factory") + 1].partition(":")
    assert callable(getattr(importlib.import_module(module_name), factory, None)), cmd


def test_the_job_command_is_the_console_script_and_its_subcommand(dockerfiles) -> None:
    script, *args = command(dockerfiles["etl-job"])
    scripts = tomllib.loads((REPO / "etl-job" / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _, function = scripts[script].partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, function))
    assert module.build_parser().parse_args(args).command == args[0]


@pytest.mark.parametrize("part", PARTS)
def test_image_bakes_in_no_secret_and_no_data(dockerfiles, part: str) -> None:
    for stage in dockerfiles[part]:
        for instruction in stage.instructions:
            keyword, value = instruction["instruction"], instruction["value"]
            if keyword in {"ENV", "ARG", "LABEL"}:
                assert not re.search(r"PASSWORD|SECRET|TOKEN|API_KEY|REDIS_URL", value, re.I)
            assert keyword != "ADD", "ADD fetches and unpacks: COPY is enough"
            if keyword == "COPY" and not value.startswith("--from="):
                sources = value.split()[:-1]
                assert not any(s in {".", "./", "data", ".env"} or s.startswith("data/")
                               for s in sources), value


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """What docker sends as the build context (docker-py's .dockerignore matching) of a copy
    of the repository's tree plus the files a working copy has and git does not."""
    root = tmp_path_factory.mktemp("context")
    local = ["data/raw/netflix_titles.csv", "data/raw/ratings/1.csv", ".env", ".git/HEAD",
             ".venv/bin/python", ".venv-isolated/gateway/bin/python", "var/etl/current",
             ".run/gateway.log", "gateway/src/gateway/__pycache__/main.cpython-311.pyc",
             ".pytest_cache/v/cache", "reports/eda.html"]
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    for name in [*tracked, *local]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    patterns = (REPO / ".dockerignore").read_text().splitlines()
    return set(exclude_paths(str(root), patterns))


def test_the_context_leaves_data_secrets_and_caches_out(context: set[str]) -> None:
    for path in ("data/raw/netflix_titles.csv", "data/raw/ratings/1.csv", ".env", ".git/HEAD",
                 ".venv/bin/python", ".venv-isolated/gateway/bin/python", "var/etl/current",
                 "tests/conftest.py", "k8s/02-secret.yaml", ".run/gateway.log",
                 "gateway/src/gateway/__pycache__/main.cpython-311.pyc",
                 ".pytest_cache/v/cache", "docker-compose.yml", "reports/eda.html"):
        assert path not in context, path


@pytest.mark.parametrize("part", PARTS)
def test_the_context_holds_what_the_dockerfile_copies(dockerfiles, context, part) -> None:
    for stage in dockerfiles[part]:
        for value in stage.values("COPY"):
            if value.startswith("--from="):
                continue
            for source in value.split()[:-1]:
                sent = [p for p in context if p == source or p.startswith(f"{source}/")]
                assert sent, f"{part}: COPY {source} finds nothing in the context"
