"""Loaders and rule helpers for the deployment checks: compose, manifests, Dockerfiles."""

import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
PARTS = ("etl-job", "catalog-service", "recsys-service", "gateway")

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


def manifest_files(recursive: bool) -> list[Path]:
    pattern = "**/*.yaml" if recursive else "*.yaml"
    return sorted(K8S.glob(pattern))


@pytest.fixture(scope="session")
def applied_manifests() -> list[Manifest]:
    """What `kubectl apply -f k8s/` applies: the top-level files, not k8s/tools/."""
    return [Manifest(path, doc) for path in manifest_files(False) for doc in load_documents(path)]


@pytest.fixture(scope="session")
def all_manifests() -> list[Manifest]:
    """Every manifest under k8s/, the optional tools included."""
    return [Manifest(path, doc) for path in manifest_files(True) for doc in load_documents(path)]


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_documents(COMPOSE_FILE)[0]


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


# --- Pod templates ----------------------------------------------------------------------------

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


@pytest.fixture(scope="session")
def workloads(all_manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any]]]:
    """(manifest, pod template) for every object that runs pods."""
    found = []
    for manifest in all_manifests:
        template = pod_template(manifest.doc)
        if template is not None:
            found.append((manifest, template))
    return found


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def container_env_names(container: dict[str, Any]) -> set[str]:
    return {item["name"] for item in container.get("env") or []}


def helper_env_names(container: dict[str, Any]) -> set[str]:
    """Variables present only to be spliced into another one with Kubernetes' $(NAME)."""
    env = container.get("env") or []
    referenced = {name for item in env
                  for name in re.findall(r"\$\((\w+)\)", item.get("value", ""))}
    return {item["name"] for item in env if item["name"] in referenced}


@pytest.fixture(scope="session")
def env_split() -> Callable[[dict[str, Any]], tuple[set[str], set[str]]]:
    """A container's env names split into (settings, helpers spliced into settings)."""

    def split(container: dict[str, Any]) -> tuple[set[str], set[str]]:
        helpers = helper_env_names(container)
        return container_env_names(container) - helpers, helpers

    return split


# --- NetworkPolicy graph ----------------------------------------------------------------------

def policy_edges(manifests: list[Manifest]) -> set[tuple[str, str]]:
    """Who may open connections to whom, computed from the NetworkPolicies' selectors.

    Pods are named by their app.kubernetes.io/name label. A peer outside the namespace is
    "namespace:<name>" (from a namespaceSelector on kubernetes.io/metadata.name). A pod that
    no policy selects for Ingress, or a rule with no `from`, admits "*" (anyone).
    """
    pods: dict[str, dict[str, str]] = {}
    for manifest in manifests:
        template = pod_template(manifest.doc)
        if template is not None:
            labels = template["metadata"].get("labels") or {}
            pods[labels["app.kubernetes.io/name"]] = labels
    policies = [m.doc for m in manifests if m.kind == "NetworkPolicy"]
    edges: set[tuple[str, str]] = set()
    for target, labels in pods.items():
        selecting = [p for p in policies
                     if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
                     and selector_matches(p["spec"]["podSelector"], labels)]
        if not selecting:
            edges.add(("*", target))
            continue
        for policy in selecting:
            for rule in policy["spec"].get("ingress") or []:
                peers = rule.get("from")
                if not peers:
                    edges.add(("*", target))
                    continue
                for peer in peers:
                    edges |= {(source, target) for source in peer_names(peer, pods)}
    return edges


def peer_names(peer: dict[str, Any], pods: dict[str, dict[str, str]]) -> set[str]:
    if "ipBlock" in peer:
        return {f"ipBlock:{peer['ipBlock']['cidr']}"}
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is not None:
        names = (namespace_selector.get("matchLabels") or {}).get("kubernetes.io/metadata.name")
        if names is None or namespace_selector.get("matchExpressions"):
            return {"namespace:*"}
        return {f"namespace:{names}"}
    return {name for name, labels in pods.items() if selector_matches(peer["podSelector"], labels)}


@pytest.fixture(scope="session")
def network_edges() -> Callable[[list[Manifest]], set[tuple[str, str]]]:
    return policy_edges


# --- Compose interpolation --------------------------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>\w+))")


@dataclass(frozen=True)
class Reference:
    name: str
    operator: str | None
    argument: str | None


def variable_references(value: Any) -> Iterator[Reference]:
    """Every ${NAME...} / $NAME in a compose value, $$ escapes skipped."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from variable_references(key)
            yield from variable_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from variable_references(item)
    elif isinstance(value, str):
        for match in _VARIABLE.finditer(value):
            name = match.group("braced") or match.group("bare")
            if name:
                yield Reference(name, match.group("op"), match.group("arg"))


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """The compose specification's interpolation of one value against `env`."""
    if isinstance(value, dict):
        return {interpolate(k, env): interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        operator, argument = match.group("op"), match.group("arg") or ""
        present = name in env
        filled = present and env[name] != ""
        if operator in {":?", "?"}:
            if not (filled if operator == ":?" else present):
                raise KeyError(f"{name}: {argument}")
            return env[name]
        if operator == ":-":
            return env[name] if filled else argument
        if operator == "-":
            return env[name] if present else argument
        return env.get(name, "")

    return _VARIABLE.sub(replace, value)


@pytest.fixture(scope="session")
def compose_variables() -> Callable[[Any], Iterator[Reference]]:
    return variable_references


@pytest.fixture(scope="session")
def compose_interpolate() -> Callable[[Any, dict[str, str]], Any]:
    return interpolate


def environment_names(service: dict[str, Any]) -> set[str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {item.split("=", 1)[0] for item in env}
    return set(env)


# --- Dockerfiles ------------------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str
    arguments: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, else a shell split."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1] if " CMD " in f" {text}" else text
            text = text.removeprefix("CMD ").strip()
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return shlex.split(text)
        return parsed if isinstance(parsed, list) else [str(parsed)]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    path: Path
    args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def parse_dockerfile(text: str, path: Path = Path("Dockerfile")) -> Dockerfile:
    """Stages and instructions, with line continuations joined and comments dropped."""
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):
            continue
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append((start, buffer + line))
        buffer = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, line in logical:
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=alias))
        else:
            stages[-1].instructions.append(Instruction(keyword, rest, number))
    return Dockerfile(path=path, args=args, stages=stages)


@pytest.fixture(scope="session")
def dockerfiles() -> dict[str, Dockerfile]:
    return {part: parse_dockerfile((REPO / part / "Dockerfile").read_text(),
                                   REPO / part / "Dockerfile")
            for part in PARTS}


@pytest.fixture(scope="session")
def dockerfile_parser() -> Callable[[str], Dockerfile]:
    return parse_dockerfile


# --- .dockerignore ----------------------------------------------------------------------------

def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's matching: `*` and `?` stay within one path segment, `**` spans segments."""
    out, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            if pattern.startswith("/", index):
                out += "/?"
                index += 1
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        index += 1
    return re.compile(f"^{out}$")


def dockerignore_excludes(patterns_text: str) -> Callable[[str], bool]:
    """A predicate: is this context path left out of the build context?"""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in patterns_text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append((negated, _pattern_regex(pattern)))

    def excluded(path: str) -> bool:
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        result = False
        for negated, regex in rules:
            if any(regex.match(prefix) for prefix in prefixes):
                result = not negated
        return result

    return excluded


@pytest.fixture(scope="session")
def dockerignore_matcher() -> Callable[[str], Callable[[str], bool]]:
    return dockerignore_excludes
