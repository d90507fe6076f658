"""The same setting names everywhere: whatever compose, the Kubernetes manifests and render.yaml
set for a part is a field of the part's Settings class (a misspelt name would be ignored
silently), and each sets every required field."""

import importlib
import re
from typing import Any

import pytest
import yaml
from deploy.files import PARTS, REPO, SAME_PART, pod_template


def kubernetes_env(manifests, part: str) -> list[set[str]]:
    """The settings of every container of the part (Deployment, Job, CronJob), without the
    helper variables that exist only to be spliced into another with $(NAME)."""
    found = []
    for manifest in manifests:
        template = pod_template(manifest.doc)
        for container in (template or {"spec": {"containers": []}})["spec"]["containers"]:
            if container["name"] != part:
                continue
            env = container.get("env") or []
            spliced = {name for item in env for name in re.findall(r"\$\((\w+)\)",
                                                                   item.get("value", ""))}
            found.append({item["name"] for item in env} - spliced)
    return found


def compose_env(compose: dict[str, Any], part: str) -> list[set[str]]:
    return [set(service.get("environment") or {}) for name, service in compose["services"].items()
            if SAME_PART.get(name, name) == part]


def render_env(part: str) -> list[set[str]]:
    services = yaml.safe_load((REPO / "render.yaml").read_text())["services"]
    # Render sets PORT itself; the services read only their own settings.
    return [{v["key"] for v in s.get("envVars", [])} - {"PORT"} for s in services
            if s["name"] == part]


def settings_fields(part: str) -> tuple[set[str], set[str]]:
    """(every field, the required ones) of the part's Settings, as environment names."""
    fields = importlib.import_module(f"{part.replace('-', '_')}.config").Settings.model_fields
    return ({name.upper() for name in fields},
            {name.upper() for name, info in fields.items() if info.is_required()})


@pytest.mark.parametrize("part", PARTS)
def test_every_place_sets_the_parts_own_setting_names(compose, applied_manifests, part) -> None:
    places = {"compose": compose_env(compose, part),
              "kubernetes": kubernetes_env(applied_manifests, part),
              "render": render_env(part)}
    assert places["compose"]
    assert places["kubernetes"]
    fields, required = settings_fields(part)
    for where, found in places.items():
        for names in found:
            assert names <= fields, f"{where} sets what {part} never reads: {names - fields}"
            assert required <= names, f"{where} leaves out required {required - names}"


def test_the_rule_catches_a_misspelt_setting(compose) -> None:
    fields, _ = settings_fields("gateway")
    (names,) = compose_env(compose, "gateway")
    assert {*names, "DOWNSTREAM_TIMEOUT_SECOND"} - fields == {"DOWNSTREAM_TIMEOUT_SECOND"}
