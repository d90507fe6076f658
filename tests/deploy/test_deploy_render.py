"""The Render blueprint keeps the same shape: only the gateway public, each image built from
the repository root with its Dockerfile and run with its command, the same settings names."""

from typing import Any

import pytest
import yaml
from deploy.files import REPO

SERVICES = ("catalog-service", "recsys-service", "gateway")


@pytest.fixture(scope="module")
def blueprint() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load((REPO / "render.yaml").read_text())
    assert set(document) == {"services"}
    return {service["name"]: service for service in document["services"]}


def env_keys(service: dict[str, Any]) -> set[str]:
    return {item["key"] for item in service.get("envVars", [])}


def test_only_the_gateway_is_a_public_web_service(blueprint) -> None:
    kinds = {name: service["type"] for name, service in blueprint.items()}
    assert kinds == {"gateway": "web", "catalog-service": "pserv", "recsys-service": "pserv",
                     "recs-redis": "keyvalue"}
    assert blueprint["recs-redis"]["ipAllowList"] == []
    assert blueprint["gateway"]["healthCheckPath"] == "/healthz"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_builds_its_dockerfile_from_the_root(blueprint, name: str) -> None:
    service = blueprint[name]
    assert service["runtime"] == "docker"
    assert service["dockerContext"] == "."
    assert service["dockerfilePath"] == f"./{name}/Dockerfile"
    assert (REPO / service["dockerfilePath"]).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_services_run_the_images_command(blueprint, name: str) -> None:
    assert "dockerCommand" not in blueprint[name], "the image's own command"


def test_the_gateway_asks_for_its_downstream_urls(blueprint) -> None:
    # Render gives private services as host:port only; the URLs are entered at sync time.
    prompted = {v["key"] for v in blueprint["gateway"]["envVars"] if v.get("sync") is False}
    assert prompted == {"CATALOG_SERVICE_URL", "RECSYS_SERVICE_URL"}
    redis_url = next(v for v in blueprint["recsys-service"]["envVars"] if v["key"] == "REDIS_URL")
    assert redis_url["fromService"] == {"type": "keyvalue", "name": "recs-redis",
                                        "property": "connectionString"}


def test_the_catalog_reads_from_its_disk(blueprint) -> None:
    catalog = blueprint["catalog-service"]
    path = next(v["value"] for v in catalog["envVars"] if v["key"] == "CATALOG_PATH")
    assert path.startswith(catalog["disk"]["mountPath"] + "/")
    assert catalog["numInstances"] == 1, "a Render disk pins the service to one instance"
