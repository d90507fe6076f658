"""The rules docker-compose.yml and .env.example must keep: start order, exposure, hardening,
storage, the network graph and the settings names."""

import copy
import importlib
import itertools
import re
from typing import Any

import pytest

# The settings each part reads (its Settings class plus the base's LOG_LEVEL).
SETTINGS: dict[str, set[str]] = {
    "etl-job": {"DATA_DIR", "OUTPUT_DIR", "REDIS_URL", "REDIS_KEY_PREFIX", "LOG_LEVEL"},
    "catalog-service": {"CATALOG_PATH", "LOG_LEVEL", "INTERNAL_TOKEN"},
    "recsys-service": {"REDIS_URL", "REDIS_KEY_PREFIX", "REDIS_TIMEOUT_SECONDS", "LOG_LEVEL",
                       "INTERNAL_TOKEN"},
    "gateway": {"CATALOG_SERVICE_URL", "RECSYS_SERVICE_URL", "DOWNSTREAM_TIMEOUT_SECONDS",
                "LOG_LEVEL", "INTERNAL_TOKEN", "DOCS_ENABLED", "METRICS_PORT"},
}
EXPECTED_DEPENDS_ON = {
    "redis": {},
    "etl-job": {"redis": "service_healthy"},
    "etl-guard": {"redis": "service_healthy", "etl-job": "service_completed_successfully"},
    "catalog-service": {"etl-job": "service_completed_successfully"},
    "recsys-service": {"redis": "service_healthy", "etl-job": "service_completed_successfully"},
    "gateway": {"catalog-service": "service_healthy", "recsys-service": "service_healthy"},
}
# Who can reach whom: the same pairs as the Kubernetes NetworkPolicies, undirected.
EXPECTED_LINKS = {
    frozenset({"gateway", "catalog-service"}),
    frozenset({"gateway", "recsys-service"}),
    frozenset({"recsys-service", "redis"}),
    frozenset({"etl-job", "redis"}),
    # The guard is the etl-job image (Kubernetes: an etl-job pod); it shares the ETL's network.
    frozenset({"etl-guard", "redis"}),
    frozenset({"etl-guard", "etl-job"}),
}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    value = service.get("depends_on") or {}
    if isinstance(value, list):  # the short form means service_started
        return dict.fromkeys(value, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in value.items()}


def published(compose: dict[str, Any]) -> set[str]:
    return {name for name, service in compose["services"].items()
            if service.get("ports") or service.get("network_mode") == "host"}


def links(compose: dict[str, Any]) -> set[frozenset[str]]:
    """Pairs of services sharing a network (each can open connections to the other)."""
    members: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        networks = service.get("networks") or ["default"]
        for network in networks:
            members.setdefault(network, set()).add(name)
    return {frozenset(pair) for group in members.values()
            for pair in itertools.combinations(sorted(group), 2)}


def test_services_are_the_five_parts(compose) -> None:
    assert set(compose["services"]) == set(EXPECTED_DEPENDS_ON)


def test_start_order_waits_on_health_and_on_the_etl(compose) -> None:
    actual = {name: depends_on(service) for name, service in compose["services"].items()}
    assert actual == EXPECTED_DEPENDS_ON


def test_every_awaited_service_has_a_healthcheck(compose) -> None:
    awaited = {dependency for service in compose["services"].values()
               for dependency, condition in depends_on(service).items()
               if condition == "service_healthy"}
    assert awaited == {"redis", "catalog-service", "recsys-service"}
    for name in awaited:
        check = compose["services"][name].get("healthcheck") or {}
        assert check.get("test"), name
        assert not check.get("disable"), name
    for name in ("catalog-service", "recsys-service", "gateway"):
        test = " ".join(compose["services"][name]["healthcheck"]["test"])
        # Readiness, over Python's urllib (no curl in slim images), on the service's port.
        assert "urllib.request.urlopen('http://127.0.0.1:8000/readyz'" in test, name


def test_only_the_gateway_publishes_a_port(compose) -> None:
    assert published(compose) == {"gateway"}
    assert all(str(port).endswith(":8000") for port in compose["services"]["gateway"]["ports"])
    for service in compose["services"].values():
        assert "expose" not in service or service is compose["services"]["gateway"]


def test_the_rule_catches_a_second_published_port(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["redis"]["ports"] = ["6379:6379"]
    assert published(broken) == {"gateway", "redis"}


def test_network_links_match_the_kubernetes_policies(compose) -> None:
    assert links(compose) == EXPECTED_LINKS
    internal = {name for name, spec in compose["networks"].items() if (spec or {}).get("internal")}
    # Every network but the gateway's public one is internal.
    assert set(compose["networks"]) - internal == {"edge"}
    assert compose["services"]["gateway"]["networks"][0] == "edge"


def test_the_link_rule_catches_an_extra_network(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["catalog-service"]["networks"].append("etl-redis")
    assert frozenset({"catalog-service", "redis"}) in links(broken) - EXPECTED_LINKS


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


@pytest.mark.parametrize("part", sorted(SETTINGS))
def test_environment_names_are_the_parts_settings(compose, part: str) -> None:
    service = compose["services"][part]
    assert set(service["environment"]) == SETTINGS[part]


def test_images_are_built_from_the_repository_root(compose) -> None:
    for part in SETTINGS:
        service = compose["services"][part]
        assert service["build"] == {"context": ".", "dockerfile": f"{part}/Dockerfile"}
        registry, tag = "${IMAGE_REGISTRY:-streaming-recs}", "${IMAGE_TAG:-0.1.0}"
        assert service["image"] == f"{registry}/{part}:{tag}"


def test_compose_variables_and_env_example_agree(
    compose, env_example, compose_variables, compose_interpolate
) -> None:
    references = list(compose_variables(compose))
    names = {reference.name for reference in references}
    # COMPOSE_PROJECT_NAME is read by the compose command itself, not by the file.
    assert names == set(env_example) - {"COMPOSE_PROJECT_NAME"}, (
        "every compose variable in .env.example and back")
    for reference in references:
        if reference.operator in {":-", "-"}:
            # The file's default is the documented one.
            assert reference.argument == env_example[reference.name], reference
        else:
            assert reference.operator == ":?", f"{reference.name} needs a default or :?"
    # The secret has no default: an empty value stops `docker compose` with a clear message.
    assert env_example["REDIS_PASSWORD"] == ""
    with pytest.raises(KeyError, match="REDIS_PASSWORD"):
        compose_interpolate(compose, env_example)



@pytest.mark.parametrize("part", sorted(SETTINGS))
def test_settings_names_are_fields_of_the_parts_settings_class(part: str) -> None:
    # A misspelt variable would be ignored silently (settings ignore unknown names), and a
    # required field nobody sets would stop start-up: compare with the code itself.
    config = importlib.import_module(f"{part.replace('-', '_')}.config")
    fields = config.Settings.model_fields
    names = {name.upper() for name in fields}
    required = {name.upper() for name, info in fields.items() if info.is_required()}
    assert SETTINGS[part] <= names, f"not read by {part}: {SETTINGS[part] - names}"
    assert required <= SETTINGS[part], f"required but never set: {required - SETTINGS[part]}"
