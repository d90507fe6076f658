"""Offline validation: compose against the Compose specification's JSON schema, every manifest
against the Kubernetes OpenAPI schemas (strict), every Dockerfile with hadolint, and the
manifests and Dockerfiles against checkov's policies (pod security, resources, probes, users)."""

import copy
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy.files import PARTS, REPO
from kubernetes_validate import utils as kubernetes_schemas

KUBERNETES_VERSION = kubernetes_schemas.latest_version()
HADOLINT = Path(sys.executable).with_name("hadolint")
HADOLINT_CONFIG = Path(__file__).with_name("hadolint.yaml")
CHECKOV_CONFIG = Path(__file__).with_name("checkov.yaml")
# checkov runs in an environment of its own (uv's tool runner), pinned here: its own pins would
# move cachetools, pytest and packaging backwards in the workspace's one lock.
CHECKOV = "checkov==3.3.30"
# A pod the restricted profile refuses: root, writable, privileged, no limits, no probes.
BROKEN_POD = """apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: streaming-recs}
spec:
  hostNetwork: true
  containers:
    - name: app
      image: example/app:1.0
      securityContext: {runAsUser: 0, privileged: true, allowPrivilegeEscalation: true}
"""


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.protocols.Validator:
    # check-jsonschema vendors the Compose specification's schema (vendor.compose-spec).
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def compose_errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_schema(compose_validator, compose) -> None:
    assert compose_errors(compose_validator, compose) == []


def test_compose_file_matches_the_schema_after_interpolation(
    compose_validator, env_example, render_compose
) -> None:
    # What the compose tool makes of it with .env.example and the secrets filled in.
    filled = {key: value or f"{key.lower()}-0123456789" for key, value in env_example.items()}
    result = render_compose(filled)
    assert result.returncode == 0, result.stderr
    assert compose_errors(compose_validator, yaml.safe_load(result.stdout)) == []


def test_compose_schema_check_rejects_a_broken_file(compose_validator, compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["gateway"]["depend_on"] = ["redis"]  # misspelt key
    broken["services"]["redis"]["ports"] = {"6379": "6379"}  # wrong shape
    errors = compose_errors(compose_validator, broken)
    assert any("depend_on" in error for error in errors)
    assert any(error.startswith("services/redis/ports") for error in errors)


def test_compose_check_jsonschema_cli_passes() -> None:
    # The same check through check-jsonschema's command line, as a developer would run it.
    cli = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(cli), "--builtin-schema", "vendor.compose-spec", str(REPO / "docker-compose.yml")],
        capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def kubernetes_errors(document: dict[str, Any]) -> list[str]:
    try:
        kubernetes_schemas.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_schemas.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_schemas.SchemaNotFoundError as error:
        return [error.message]
    return []


def test_every_manifest_matches_the_kubernetes_schemas(all_manifests) -> None:
    assert len(all_manifests) >= 20
    errors = {f"{m.path.name}:{m.kind}/{m.name}": kubernetes_errors(m.doc) for m in all_manifests}
    assert {key: value for key, value in errors.items() if value} == {}


def test_kubernetes_schema_check_rejects_a_typo_and_a_wrong_type(applied_manifests) -> None:
    deployment = copy.deepcopy(next(m.doc for m in applied_manifests if m.kind == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    assert kubernetes_errors(deployment) != []
    deployment = copy.deepcopy(next(m.doc for m in applied_manifests if m.kind == "Service"))
    deployment["spec"]["ports"][0]["port"] = "eight thousand"
    assert kubernetes_errors(deployment) != []


def test_manifest_files_are_plain_yaml_kubectl_takes() -> None:
    # `kubectl apply -f k8s/` reads every .yaml/.yml/.json at the top level; a kustomization
    # file there would be sent to the API server as an object and fail.
    top_level = sorted(p.name for p in (REPO / "k8s").iterdir() if p.is_file())
    assert top_level, "k8s/ holds no manifests"
    assert all(name.endswith(".yaml") for name in top_level), top_level
    assert "kustomization.yaml" not in top_level
    for name in top_level:
        for document in yaml.safe_load_all((REPO / "k8s" / name).read_text()):
            assert {"apiVersion", "kind", "metadata"} <= set(document), name


def hadolint(path: Path) -> list[dict[str, Any]]:
    """hadolint's findings, from its JSON output."""
    result = subprocess.run(
        [str(HADOLINT), "--config", str(HADOLINT_CONFIG), "--format", "json", str(path)],
        capture_output=True, text=True, check=False, timeout=120)
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("part", [*PARTS, "edge-proxy"])
def test_dockerfile_passes_hadolint(part: str) -> None:
    findings = hadolint(REPO / part / "Dockerfile")
    assert [(f["line"], f["code"], f["message"]) for f in findings] == []


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\nCMD python app.py\n")
    assert {"DL3006", "DL3025"} <= {finding["code"] for finding in hadolint(bad)}


@pytest.fixture(scope="module")
def checkov_failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """checkov's failed checks per file: every manifest and Dockerfile, and a broken pod."""
    uv = shutil.which("uv")
    assert uv, "uv is not on the PATH: checkov runs with `uv tool run`"
    broken = tmp_path_factory.mktemp("checkov") / "broken-pod.yaml"
    broken.write_text(BROKEN_POD)
    files = [*sorted((REPO / "k8s").glob("**/*.yaml")),
             *sorted(REPO.glob("*/Dockerfile")), broken]
    result = subprocess.run(
        [uv, "tool", "run", "--from", CHECKOV, "checkov", "--config-file", str(CHECKOV_CONFIG),
         "--output", "json", "--file", *map(str, files)],
        capture_output=True, text=True, check=False, timeout=600, cwd=REPO)
    assert result.stdout.startswith(("[", "{")), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    found: dict[str, set[str]] = {}
    for report in reports if isinstance(reports, list) else [reports]:
        for check in report["results"]["failed_checks"]:
            found.setdefault(Path(check["file_abs_path"]).name if "broken" in
                             check["file_abs_path"] else check["file_path"],
                             set()).add(check["check_id"])
    return found


def test_manifests_and_dockerfiles_pass_checkov(checkov_failures) -> None:
    assert {path: ids for path, ids in checkov_failures.items() if path != "broken-pod.yaml"} == {}


def test_checkov_refuses_a_root_privileged_pod_without_limits(checkov_failures) -> None:
    # root (23), privileged (16), escalation (20), host network (19), writable root (22),
    # no CPU and memory limits (11, 13), no probes (8, 9), seccomp (31), capabilities (37).
    assert {f"CKV_K8S_{n}" for n in (8, 9, 11, 13, 16, 19, 20, 22, 23, 31, 37)} <= (
        checkov_failures["broken-pod.yaml"])

