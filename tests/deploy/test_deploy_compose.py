"""The rules docker-compose.yml and .env.example must keep: start order, exposure, hardening,
storage, the network graph and the settings names."""

import copy
import re
from typing import Any

from deploy.files import COMPOSE_FILE, compose_links, policy_edges

EXPECTED_DEPENDS_ON = {
    "redis": {},
    "etl-job": {"redis": "service_healthy"},
    "etl-guard": {"redis": "service_healthy", "etl-job": "service_completed_successfully"},
    "catalog-service": {"etl-job": "service_completed_successfully"},
    "recsys-service": {"redis": "service_healthy", "etl-job": "service_completed_successfully"},
    "gateway": {"catalog-service": "service_healthy", "recsys-service": "service_healthy"},
    "edge-proxy": {"gateway": "service_healthy"},
}
# The reverse proxy in front of the gateway: in Kubernetes the ingress controller, outside the
# namespace, is its counterpart.
PROXY = "edge-proxy"
def depends_on(service: dict[str, Any]) -> dict[str, str]:
    value = service.get("depends_on") or {}
    if isinstance(value, list):  # the short form means service_started
        return dict.fromkeys(value, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in value.items()}


def published(compose: dict[str, Any]) -> set[str]:
    return {name for name, service in compose["services"].items()
            if service.get("ports") or service.get("network_mode") == "host"}


def test_services_are_the_parts_and_the_proxy(compose) -> None:
    assert set(compose["services"]) == set(EXPECTED_DEPENDS_ON)


def test_start_order_waits_on_health_and_on_the_etl(compose) -> None:
    actual = {name: depends_on(service) for name, service in compose["services"].items()}
    assert actual == EXPECTED_DEPENDS_ON


def test_every_awaited_service_has_a_healthcheck(compose) -> None:
    awaited = {dependency for service in compose["services"].values()
               for dependency, condition in depends_on(service).items()
               if condition == "service_healthy"}
    assert awaited == {"redis", "catalog-service", "recsys-service", "gateway"}
    for name in awaited:
        check = compose["services"][name].get("healthcheck") or {}
        assert check.get("test"), name
        assert not check.get("disable"), name
    for name in ("catalog-service", "recsys-service", "gateway", PROXY):
        test = " ".join(compose["services"][name]["healthcheck"]["test"])
        # Readiness, over Python's urllib (no curl in slim images), on the service's port.
        assert "urllib.request.urlopen('http://127.0.0.1:8000/readyz'" in test, name


def test_only_the_proxy_publishes_a_port(compose) -> None:
    assert published(compose) == {PROXY}
    assert all(str(port).endswith(":8000") for port in compose["services"][PROXY]["ports"])
    for service in compose["services"].values():
        assert "expose" not in service


def test_the_rule_catches_a_second_published_port(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["redis"]["ports"] = ["6379:6379"]
    assert published(broken) == {PROXY, "redis"}


def kubernetes_links(manifests) -> set[frozenset[str]]:
    """The NetworkPolicy edges between pods of the namespace, undirected."""
    return {frozenset(edge) for edge in policy_edges(manifests)
            if edge[0] != "*" and not edge[0].startswith("namespace:")}


def test_network_links_match_the_kubernetes_policies(compose, applied_manifests) -> None:
    links = compose_links(compose)
    proxied = {link for link in links if PROXY in link}
    assert links - proxied == kubernetes_links(applied_manifests)
    # The proxy reaches the gateway alone, as the ingress controller's policy allows.
    assert proxied == {frozenset({PROXY, "gateway"})}
    assert ("namespace:ingress-nginx", "gateway") in policy_edges(applied_manifests)
    internal = {name for name, spec in compose["networks"].items() if (spec or {}).get("internal")}
    # Every network but the proxy's public one is internal.
    assert set(compose["networks"]) - internal == {"edge"}
    assert compose["services"][PROXY]["networks"][0] == "edge"


def test_the_link_rule_catches_an_extra_network(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["catalog-service"]["networks"].append("etl-redis")
    assert frozenset({"catalog-service", "redis"}) in compose_links(broken) - compose_links(
        compose)


def test_every_container_is_hardened(compose) -> None:
    for name, service in compose["services"].items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert "/tmp" in service.get("tmpfs", []), name
        assert "privileged" not in service, name
        # Our images set a non-root USER; Redis's official image must be told.
        if "build" not in service:
            user = str(service.get("user", "root"))
            assert user.split(":")[0] not in {"", "0", "root"}, name


def test_redis_persists_append_only_to_a_named_volume_with_a_password(compose) -> None:
    redis = compose["services"]["redis"]
    assert re.fullmatch(r"\$\{REDIS_IMAGE:-redis:7(\.\d+)*(-[a-z0-9.]+)?\}", redis["image"])
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "requirepass $${REDIS_PASSWORD}" in command
    assert "redis-data:/data" in redis["volumes"]
    assert "redis-data" in compose["volumes"]
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    assert "REDIS_PASSWORD" in " ".join(redis["healthcheck"]["test"])


def test_the_dataset_is_mounted_read_only_from_the_host_data_dir(compose) -> None:
    mounts = compose["services"]["etl-job"]["volumes"]
    dataset = next(m for m in mounts if isinstance(m, dict) and m["target"] == "/data/raw")
    assert dataset == {"type": "bind", "source": "${DATA_DIR:-./data/raw}",
                       "target": "/data/raw", "read_only": True}
    assert compose["services"]["etl-job"]["environment"]["DATA_DIR"] == "/data/raw"


def test_the_etl_output_volume_is_written_by_the_etl_and_read_by_the_catalog(compose) -> None:
    assert "etl-data:/data/etl" in compose["services"]["etl-job"]["volumes"]
    catalog_mounts = compose["services"]["catalog-service"]["volumes"]
    assert catalog_mounts == [{"type": "volume", "source": "etl-data", "target": "/data/etl",
                               "read_only": True}]
    catalog_path = compose["services"]["catalog-service"]["environment"]["CATALOG_PATH"]
    assert catalog_path == "/data/etl/current/catalog.parquet"
    assert compose["services"]["etl-job"]["environment"]["OUTPUT_DIR"] == "/data/etl"
    # Nobody else mounts the output (but the ETL's own guard, `etl-job repair`, which reloads
    # Redis from it), and no service mounts the host's data folder.
    for name, service in compose["services"].items():
        sources = [m["source"] if isinstance(m, dict) else m.split(":")[0]
                   for m in service.get("volumes", [])]
        if name not in {"etl-job", "etl-guard", "catalog-service"}:
            assert "etl-data" not in sources, name


def test_every_compose_variable_is_documented_in_env_example(env_example) -> None:
    # `${NAME` in the file, `$${...}` (compose's escape, a shell variable) aside.
    names = set(re.findall(r"(?<!\$)\$\{(\w+)", COMPOSE_FILE.read_text()))
    # COMPOSE_PROJECT_NAME is read by the compose command itself, not by the file.
    assert names == set(env_example) - {"COMPOSE_PROJECT_NAME"}


def secrets_filled(env_example: dict[str, str]) -> dict[str, str]:
    """.env.example with its secrets (the values it leaves empty) filled in."""
    return {**env_example, **{key: f"{key.lower()}-0123456789" for key, value in
                              env_example.items() if value == ""}}


def test_compose_refuses_to_start_without_each_secret(render_compose, env_example) -> None:
    secrets = [key for key, value in env_example.items() if value == ""]
    assert "REDIS_PASSWORD" in secrets
    for secret in secrets:
        refused = render_compose({**secrets_filled(env_example), secret: ""})
        assert refused.returncode != 0, secret
        assert f"set {secret} in .env" in refused.stderr, refused.stderr


def test_the_files_defaults_are_the_documented_ones(render_compose, env_example) -> None:
    filled = secrets_filled(env_example)
    with_defaults = render_compose({k: v for k, v in filled.items() if env_example[k] == ""})
    documented = render_compose(filled)
    assert with_defaults.returncode == 0, with_defaults.stderr
    assert with_defaults.stdout == documented.stdout


def test_every_documented_variable_reaches_the_file(render_compose, env_example) -> None:
    # Each value changed (numbers stay numbers): each new value shows in the rendered file.
    changed = {}
    for key, value in env_example.items():
        if key == "COMPOSE_PROJECT_NAME":
            continue
        if re.fullmatch(r"\d+", value):
            changed[key] = str(int(value) + 17)
        elif re.fullmatch(r"\d+\.\d+", value):
            changed[key] = f"{float(value) + 0.17:.2f}"
        else:
            changed[key] = f"{value or 'secret'}-changed"
    rendered = render_compose(changed)
    assert rendered.returncode == 0, rendered.stderr
    missing = {key for key, value in changed.items() if value.lstrip("./") not in rendered.stdout}
    assert missing == set()
