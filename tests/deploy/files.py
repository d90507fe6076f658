"""The deployment files as data for the rule checks: compose, the Kubernetes manifests, the
Dockerfiles (dockerfile-parse) and the network graph both draw. Parsing is left to the tools that
own the formats; what is here only walks their results."""

import itertools
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
PARTS = ("etl-job", "catalog-service", "recsys-service", "gateway")
NAME = "app.kubernetes.io/name"
# Compose services that run another part's image, named as that part's pods in Kubernetes.
SAME_PART = {"etl-guard": "etl-job"}


# --- YAML -------------------------------------------------------------------------------------

def load_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty YAML document of one file."""
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


@dataclass(frozen=True)
class Manifest:
    path: Path
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.doc["kind"]

    @property
    def name(self) -> str:
        return self.doc["metadata"]["name"]


# --- compose, rendered by the compose tool itself ---------------------------------------------

def compose_tool() -> list[str] | None:
    """`docker compose` (v2) or Debian's docker-compose 1.29: `config` needs no daemon."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


# --- pod templates and the network graph ------------------------------------------------------

def pod_template(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (metadata + spec) of a workload, the pod itself for a Pod."""
    kind = doc["kind"]
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return doc["spec"]["template"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    if kind == "Pod":
        return {"metadata": doc["metadata"], "spec": doc["spec"]}
    return None


def selectors(doc: Any) -> list[dict[str, Any]]:
    """Every label selector in a document (podSelector, namespaceSelector, selector)."""
    found = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in {"podSelector", "namespaceSelector"} or (
                    key == "selector" and isinstance(value, dict) and "matchLabels" in value):
                found.append(value)
            found.extend(selectors(value))
    elif isinstance(doc, list):
        for item in doc:
            found.extend(selectors(item))
    return found


def labels_match(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """matchLabels semantics; the manifests use no matchExpressions (a test keeps it so)."""
    return (selector.get("matchLabels") or {}).items() <= labels.items()


def policy_edges(manifests: list[Manifest]) -> set[tuple[str, str]]:
    """Who may open connections to whom under the NetworkPolicies: pods by their
    app.kubernetes.io/name, "namespace:<name>" for a peer namespace, "*" for anyone (a pod
    no Ingress policy selects, or a rule without `from`)."""
    pods = {t["metadata"]["labels"][NAME]: t["metadata"]["labels"]
            for m in manifests if (t := pod_template(m.doc)) is not None}
    policies = [m.doc["spec"] for m in manifests if m.kind == "NetworkPolicy"]
    edges: set[tuple[str, str]] = set()
    for target, labels in pods.items():
        selecting = [p for p in policies if "Ingress" in p.get("policyTypes", ["Ingress"])
                     and labels_match(p["podSelector"], labels)]
        if not selecting:
            edges.add(("*", target))
        for rule in (r for p in selecting for r in p.get("ingress") or []):
            for peer in rule.get("from") or [{"anyone": True}]:
                if "anyone" in peer:
                    edges.add(("*", target))
                elif "namespaceSelector" in peer:
                    name = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                    edges.add((f"namespace:{name}", target))
                else:
                    edges |= {(source, target) for source, source_labels in pods.items()
                              if labels_match(peer["podSelector"], source_labels)}
    return edges


def compose_links(compose: dict[str, Any]) -> set[frozenset[str]]:
    """Pairs of services sharing a compose network (each can reach the other), named as
    their parts; a service and a copy of itself are no link."""
    members: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        for network in service.get("networks") or ["default"]:
            members.setdefault(network, set()).add(SAME_PART.get(name, name))
    return {frozenset(pair) for group in members.values()
            for pair in itertools.combinations(sorted(group), 2)}


# --- Dockerfiles ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """One build stage: its base image (build arguments resolved) and its instructions."""

    base: str
    name: str | None
    instructions: list[dict[str, Any]]

    def values(self, keyword: str) -> list[str]:
        return [i["value"] for i in self.instructions if i["instruction"] == keyword]


def stages(path: Path) -> list[Stage]:
    parser = DockerfileParser(str(path))
    found: list[Stage] = []
    bases = iter(parser.parent_images)
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            words = instruction["value"].split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(base=next(bases), name=name, instructions=[]))
        elif found and instruction["instruction"] != "COMMENT":
            found[-1].instructions.append(instruction)
    return found


def exec_form(value: str) -> list[str]:
    """The JSON array of a CMD or `HEALTHCHECK ... CMD [...]` (exec form), else []."""
    text = value.split(" CMD ", 1)[-1].removeprefix("CMD ").strip()
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return []
    return parsed if isinstance(parsed, list) else []
