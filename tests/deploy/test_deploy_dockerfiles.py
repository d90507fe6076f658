"""The rules every image keeps (stages, user, health check, command, what it copies), and a
dry run of each builder stage's uv steps outside Docker."""

import importlib
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PARTS = ("etl-job", "catalog-service", "recsys-service", "gateway")
SERVICES = ("catalog-service", "recsys-service", "gateway")
COMMANDS: dict[str, list[str]] = {
    "etl-job": ["etl-job", "run"],
    **{part: ["uvicorn", "--factory", f"{part.replace('-', '_')}.main:create_app",
              "--host", "0.0.0.0", "--port", "8000",
              "--http", "contracts.server:BoundedHttpToolsProtocol"] for part in SERVICES},
}
MODULES = {part: part.replace("-", "_") for part in PARTS}


def final_user(dockerfile) -> str:
    users = dockerfile.final.all("USER")
    return users[-1].arguments if users else "root"


def is_non_root(user: str) -> bool:
    name = user.split(":")[0]
    return name not in {"", "root", "0"} and (not name.isdigit() or int(name) >= 1000)


@pytest.mark.parametrize("part", PARTS)
def test_image_is_multi_stage_on_slim_python_311(dockerfiles, part: str) -> None:
    dockerfile = dockerfiles[part]
    python_stages = [s for s in dockerfile.stages if s.base.startswith("python:")]
    assert len(python_stages) >= 2, "a build stage and a runtime stage"
    assert all(re.fullmatch(r"python:3\.11-slim(-\w+)?", s.base) for s in python_stages)
    assert dockerfile.final.base.startswith("python:3.11-slim")
    # The runtime stage takes the built virtualenv, not the sources or the build tools.
    copies = dockerfile.final.all("COPY")
    assert [c.arguments for c in copies] == ["--from=builder /app/.venv /app/.venv"]
    assert not any("uv" in r.arguments.split() for r in dockerfile.final.all("RUN"))


@pytest.mark.parametrize("part", PARTS)
def test_image_runs_as_a_numeric_non_root_user(dockerfiles, part: str) -> None:
    user = final_user(dockerfiles[part])
    assert is_non_root(user), user
    assert re.fullmatch(r"\d+:\d+", user), "numeric, so runAsNonRoot can verify it"
    # The Kubernetes pods run as that same user.
    for manifest_file in (REPO / "k8s").glob("*.yaml"):
        for doc in yaml.safe_load_all(manifest_file.read_text()):
            template = (doc.get("spec") or {}).get("template") or {}
            for container in (template.get("spec") or {}).get("containers", []):
                if container["image"].split(":")[0].endswith(f"/{part}"):
                    assert template["spec"]["securityContext"]["runAsUser"] == int(
                        user.split(":")[0])


def test_the_user_rule_catches_root(dockerfile_parser) -> None:
    assert final_user(dockerfile_parser("FROM python:3.11-slim\nCMD [\"x\"]\n")) == "root"
    assert not is_non_root("root")
    assert not is_non_root("0:0")
    assert is_non_root("10001:10001")


@pytest.mark.parametrize("part", PARTS)
def test_image_command_is_the_parts_command(dockerfiles, part: str) -> None:
    (cmd,) = dockerfiles[part].final.all("CMD")
    assert cmd.exec_form() == COMMANDS[part]
    assert cmd.arguments.startswith("["), "exec form, so signals reach the process"
    assert not dockerfiles[part].final.all("ENTRYPOINT")


@pytest.mark.parametrize("part", PARTS)
def test_kubernetes_runs_the_images_command(all_manifests, part: str) -> None:
    commands = []
    for manifest in all_manifests:
        spec = manifest.doc.get("spec") or {}
        template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template") or {}
        for container in (template.get("spec") or {}).get("containers", []):
            if container["name"] == part:
                commands.append(container.get("command"))
    assert commands, f"no container named {part}"
    assert all(command == COMMANDS[part] for command in commands), commands


@pytest.mark.parametrize("part", SERVICES)
def test_service_image_checks_its_health_with_stdlib_urllib(dockerfiles, part: str) -> None:
    final = dockerfiles[part].final
    (check,) = final.all("HEALTHCHECK")
    command = check.exec_form()
    assert command[:2] == ["python", "-c"]
    assert "urllib.request.urlopen('http://127.0.0.1:8000/healthz'" in command[2]
    assert "curl" not in check.arguments
    assert "wget" not in check.arguments
    assert [e.arguments for e in final.all("EXPOSE")] == ["8000"]


def test_the_job_image_has_no_health_check(dockerfiles) -> None:
    assert not dockerfiles["etl-job"].final.all("HEALTHCHECK")


@pytest.mark.parametrize("part", PARTS)
def test_dependencies_install_from_the_lock_before_the_code(dockerfiles, part: str) -> None:
    builder = next(s for s in dockerfiles[part].stages if s.name == "builder")
    steps = [(i.keyword, i.arguments) for i in builder.instructions if i.keyword in {"COPY", "RUN"}]
    syncs = [n for n, (keyword, args) in enumerate(steps) if "uv sync" in args]
    assert len(syncs) == 2
    first, second = (steps[n][1] for n in syncs)
    assert f"uv sync --locked --no-install-workspace --no-dev --package {part}" in first
    assert f"uv sync --locked --no-dev --no-editable --package {part}" in second
    before = [args for keyword, args in steps[: syncs[0]]
              if keyword == "COPY" and not args.startswith("--from=")]
    between = [args for keyword, args in steps[syncs[0]: syncs[1]] if keyword == "COPY"]
    # Only metadata before the cached layer; the sources after it.
    assert all("/src" not in args for args in before)
    # uv reads the whole workspace, so every member's pyproject.toml (and nothing else).
    members = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"][
        "members"]
    assert sorted(before) == sorted(
        ["pyproject.toml uv.lock ./"] + [f"{p}/pyproject.toml {p}/" for p in members])
    assert sorted(between) == sorted(["contracts/src contracts/src", f"{part}/src {part}/src"])


@pytest.mark.parametrize("part", PARTS)
def test_image_bakes_in_no_secret_and_no_data(dockerfiles, part: str) -> None:
    for stage in dockerfiles[part].stages:
        for instruction in stage.instructions:
            if instruction.keyword in {"ENV", "ARG", "LABEL"}:
                assert not re.search(r"PASSWORD|SECRET|TOKEN|API_KEY|REDIS_URL",
                                     instruction.arguments, re.I), instruction
            if instruction.keyword in {"COPY", "ADD"}:
                sources = instruction.arguments.split()[:-1]
                assert instruction.keyword == "COPY", "ADD fetches and unpacks: not needed"
                assert not any(s in {".", "./", "data", ".env"} or s.startswith("data/")
                               for s in sources), instruction


def test_dockerignore_keeps_data_secrets_and_caches_out(dockerignore_matcher) -> None:
    excluded = dockerignore_matcher((REPO / ".dockerignore").read_text())
    for path in ("data/raw/netflix_titles.csv", "data/raw/ratings/1.csv", ".env", ".git/HEAD",
                 ".venv/bin/python", ".venv-isolated/gateway/bin/python", "var/etl/current",
                 "tests/conftest.py", "k8s/02-secret.yaml", ".run/gateway.log",
                 "gateway/src/gateway/__pycache__/main.cpython-311.pyc",
                 ".pytest_cache/v/cache", "docker-compose.yml"):
        assert excluded(path), path


@pytest.mark.parametrize("part", PARTS)
def test_dockerignore_sends_what_the_dockerfile_copies(dockerfiles, dockerignore_matcher, part):
    excluded = dockerignore_matcher((REPO / ".dockerignore").read_text())
    for stage in dockerfiles[part].stages:
        for copy in stage.all("COPY"):
            if copy.arguments.startswith("--from="):
                continue
            for source in copy.arguments.split()[:-1]:
                assert (REPO / source).exists(), source
                files = [source] if (REPO / source).is_file() else [
                    str(p.relative_to(REPO)) for p in (REPO / source).rglob("*.py")]
                assert files, source
                assert not any(excluded(f) for f in files), source


def test_the_dockerignore_matcher_follows_docker_rules(dockerignore_matcher) -> None:
    excluded = dockerignore_matcher("*\n!keep/\n**/*.pyc\n")
    assert excluded("data/x.csv")
    assert excluded("top.txt")
    assert not excluded("keep/a/b.py")
    assert excluded("keep/a/b.pyc")


def builder_steps(dockerfile) -> list[tuple[str, str]]:
    builder = next(s for s in dockerfile.stages if s.name == "builder")
    return [(i.keyword, i.arguments) for i in builder.instructions
            if i.keyword in {"COPY", "RUN", "WORKDIR"}]


@pytest.mark.parametrize("part", PARTS)
def test_builder_stage_installs_only_the_part_from_the_lock(dockerfiles, part, tmp_path):
    """Replay the builder stage's COPY and `uv sync` steps in a scratch folder: the lock and
    the copied files must be enough, and the result must hold the part and no dev tools."""
    # `uv run` names its own binary in $UV; else the one on the PATH.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is neither in $UV nor on the PATH")
    context = tmp_path / "src"
    context.mkdir()
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never",
           "UV_COMPILE_BYTECODE": "0", "VIRTUAL_ENV": "", "UV_LINK_MODE": "copy"}
    for keyword, arguments in builder_steps(dockerfiles[part]):
        if keyword == "COPY" and not arguments.startswith("--from="):
            *sources, target = arguments.split()
            for source in sources:
                destination = context / target / (Path(source).name if target.endswith("/")
                                                   else "")
                destination.parent.mkdir(parents=True, exist_ok=True)
                if (REPO / source).is_dir():
                    shutil.copytree(REPO / source, destination, ignore=shutil.ignore_patterns(
                        "__pycache__", "*.pyc"))
                else:
                    shutil.copy2(REPO / source, destination)
        elif keyword == "RUN" and "uv sync" in arguments:
            command = shlex.split(arguments[arguments.index("uv sync"):])
            result = subprocess.run([uv, *command[1:]], cwd=context, env=env,
                                    capture_output=True, text=True, check=False, timeout=600)
            assert result.returncode == 0, result.stderr[-2000:]
    python = venv / "bin" / "python"
    probe = ("import importlib.util as u; import sys; names = sys.argv[1:]; "
             "print(' '.join(n for n in names if u.find_spec(n) is not None))")
    others = [MODULES[p] for p in PARTS if p != part]
    found = subprocess.run(
        [str(python), "-I", "-c", probe, MODULES[part], "contracts", "pytest", "ruff", *others],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert found == [MODULES[part], "contracts"]
    assert (venv / "bin" / COMMANDS[part][0]).exists()
    # Installed as a wheel, not as a link back to the (absent at run time) sources.
    origin = subprocess.run(
        [str(python), "-I", "-c", f"import {MODULES[part]} as m; print(m.__file__)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    assert origin.startswith(str(venv)), origin


@pytest.mark.parametrize("part", SERVICES)
def test_the_service_command_names_an_app_factory(part: str) -> None:
    target = COMMANDS[part][COMMANDS[part].index("--factory") + 1]
    module_name, _, factory = target.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, factory, None)), target


def test_the_job_command_is_the_console_script_and_its_subcommand() -> None:
    scripts = tomllib.loads((REPO / "etl-job" / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _, function = scripts[COMMANDS["etl-job"][0]].partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, function))
    args = module.build_parser().parse_args(COMMANDS["etl-job"][1:])
    assert args.command == "run"
