"""The rules of this project the Kubernetes manifests must keep: which probe asks which route,
exposure, autoscaling, disruption budgets, the NetworkPolicy graph, storage and settings names.
Pod security, resources and the presence of probes are checkov's (test_deploy_schemas.py)."""

import copy
import re
from typing import Any

import pytest
import yaml
from deploy.files import NAME, REPO, policy_edges, selectors

NAMESPACE = "streaming-recs"
# The ingress controller's own settings live in its namespace (k8s/tools/).
CONTROLLER_SETTINGS = "ingress-nginx-controller.yaml"
STATELESS = ("catalog-service", "recsys-service", "gateway")
# Who may open a connection to whom; the ingress controller lives in namespace ingress-nginx.
EXPECTED_EDGES = {
    ("namespace:ingress-nginx", "gateway"),
    ("gateway", "catalog-service"),
    ("gateway", "recsys-service"),
    ("recsys-service", "redis"),
    ("etl-job", "redis"),
}


def objects(manifests, kind: str) -> dict[str, dict[str, Any]]:
    return {m.name: m.doc for m in manifests if m.kind == kind}


def containers(template: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    spec = template["spec"]
    return list(spec.get("initContainers") or []) * init + list(spec["containers"])


def http_probe(container: dict[str, Any], probe: str) -> tuple[str, Any]:
    get = container[probe]["httpGet"]
    return get["path"], get["port"]


def test_every_namespaced_object_is_in_the_namespace(all_manifests) -> None:
    namespaces = objects(all_manifests, "Namespace")
    assert set(namespaces) == {NAMESPACE}
    labels = namespaces[NAMESPACE]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for manifest in all_manifests:
        if manifest.kind != "Namespace" and manifest.path.name != CONTROLLER_SETTINGS:
            assert manifest.doc["metadata"].get("namespace") == NAMESPACE, manifest.name


@pytest.mark.parametrize("name", STATELESS)
def test_deployments_probe_readiness_and_liveness(applied_manifests, name: str) -> None:
    deployment = objects(applied_manifests, "Deployment")[name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8000}
    assert http_probe(container, "readinessProbe") == ("/readyz", "http")
    assert http_probe(container, "livenessProbe") == ("/healthz", "http")
    # A slow start is covered by the startup probe, not by a lax liveness probe.
    assert http_probe(container, "startupProbe") == ("/healthz", "http")


def test_every_deployment_is_one_of_the_three_services(applied_manifests) -> None:
    assert set(objects(applied_manifests, "Deployment")) == set(STATELESS)


def test_read_only_containers_get_a_writable_tmp(workloads) -> None:
    for manifest, template in workloads:
        volumes = {v["name"]: v for v in template["spec"].get("volumes") or []}
        for container in containers(template, init=False):
            tmp = [m for m in container.get("volumeMounts") or [] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1, f"{manifest.name}/{container['name']}"
            assert "emptyDir" in volumes[tmp[0]["name"]], manifest.name


def test_only_the_gateway_is_exposed(applied_manifests) -> None:
    services = objects(applied_manifests, "Service")
    assert {name: s["spec"].get("type", "ClusterIP") for name, s in services.items()} == {
        "redis": "ClusterIP", "catalog-service": "ClusterIP", "recsys-service": "ClusterIP",
        "gateway": "ClusterIP"}
    backends = set()
    for ingress in objects(applied_manifests, "Ingress").values():
        assert "defaultBackend" not in ingress["spec"]
        for rule in ingress["spec"]["rules"]:
            backends |= {path["backend"]["service"]["name"] for path in rule["http"]["paths"]}
    assert backends == {"gateway"}


def test_services_select_pods_on_named_ports(applied_manifests, workloads) -> None:
    pods = {t["metadata"]["labels"][NAME]: t for _, t in workloads}
    for name, service in objects(applied_manifests, "Service").items():
        template = pods[service["spec"]["selector"][NAME]]
        port_names = {p["name"] for c in containers(template, init=False) for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names, name


@pytest.mark.parametrize("name", STATELESS)
def test_each_stateless_service_autoscales_and_has_a_disruption_budget(
    applied_manifests, name: str
) -> None:
    deployment = objects(applied_manifests, "Deployment")[name]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = objects(applied_manifests, "HorizontalPodAutoscaler")[name]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": name}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    budget = objects(applied_manifests, "PodDisruptionBudget")[name]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    # One pod may always be drained, since the HPA keeps at least two.
    assert budget["spec"]["minAvailable"] == hpa["spec"]["minReplicas"] - 1


def test_network_policies_allow_exactly_the_expected_edges(applied_manifests) -> None:
    assert policy_edges(applied_manifests) == EXPECTED_EDGES


def test_selectors_use_only_match_labels(all_manifests) -> None:
    # The graph above reads matchLabels only: an expression would need the full semantics.
    found = [s for m in all_manifests for s in selectors(m.doc) if set(s) - {"matchLabels"}]
    assert found == []


def test_default_deny_covers_every_pod(applied_manifests) -> None:
    deny = objects(applied_manifests, "NetworkPolicy")["default-deny-ingress"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_the_graph_rule_catches_a_loosened_policy(applied_manifests) -> None:
    loosened = copy.deepcopy(applied_manifests)
    redis_policy = next(m for m in loosened if m.name == "redis-from-recsys-and-etl")
    redis_policy.doc["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {NAME: "gateway"}}})
    assert ("gateway", "redis") in policy_edges(loosened) - EXPECTED_EDGES
    # Without the default deny, a pod no allow rule selects (the ETL's) takes anyone.
    without_deny = [m for m in applied_manifests if m.name != "default-deny-ingress"]
    assert ("*", "etl-job") in policy_edges(without_deny)
    # Without its allow rule the gateway is unreachable, the deny still selecting it.
    closed = [m for m in applied_manifests if m.name != "gateway-from-ingress-controller"]
    assert not {edge for edge in policy_edges(closed) if edge[1] == "gateway"}


def test_redis_is_a_persistent_password_protected_statefulset(applied_manifests) -> None:
    redis = objects(applied_manifests, "StatefulSet")["redis"]
    (claim,) = redis["spec"]["volumeClaimTemplates"]
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"redis:7(\.\d+)*(-[a-z0-9.]+)?", container["image"])
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    assert claim["metadata"]["name"] == "data"
    script = " ".join(container["command"])
    assert "--appendonly yes" in script
    assert "requirepass ${REDIS_PASSWORD}" in script
    (password,) = container["env"]
    assert password["valueFrom"]["secretKeyRef"] == {"name": "redis-auth",
                                                     "key": "REDIS_PASSWORD"}
    assert objects(applied_manifests, "Service")["redis"]["spec"]["clusterIP"] == "None"


def test_the_secret_is_a_marked_placeholder_redis_refuses(applied_manifests) -> None:
    secret_file = (REPO / "k8s" / "02-secret.yaml").read_text()
    assert "PLACEHOLDER" in secret_file
    assert "kubectl create secret generic redis-auth" in secret_file
    value = objects(applied_manifests, "Secret")["redis-auth"]["stringData"]["REDIS_PASSWORD"]
    assert value.startswith("CHANGE-ME")
    redis = objects(applied_manifests, "StatefulSet")["redis"]
    script = redis["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert '""|CHANGE-ME*) ' in script
    assert "exit 1" in script


def test_the_etl_runs_once_and_nightly_from_one_pod_template(applied_manifests) -> None:
    job = objects(applied_manifests, "Job")["etl-initial"]
    cron = objects(applied_manifests, "CronJob")["etl-nightly"]
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == job["spec"]["template"]
    minute, hour, *rest = cron["spec"]["schedule"].split()
    assert rest == ["*", "*", "*"]
    assert minute.isdigit()
    assert hour.isdigit()
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_catalog_reaches_the_pods_through_a_read_write_many_volume(applied_manifests):
    claims = objects(applied_manifests, "PersistentVolumeClaim")
    assert claims["etl-output"]["spec"]["accessModes"] == ["ReadWriteMany"]
    config = objects(applied_manifests, "ConfigMap")["streaming-recs-config"]["data"]
    mounts = {}
    for kind, name in (("Job", "etl-initial"), ("Deployment", "catalog-service")):
        spec = objects(applied_manifests, kind)[name]["spec"]["template"]["spec"]
        volume = next(v["name"] for v in spec["volumes"]
                      if (v.get("persistentVolumeClaim") or {}).get("claimName") == "etl-output")
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume)
        mounts[name] = (mount["mountPath"], mount.get("readOnly", False))
    assert mounts == {"etl-initial": (config["OUTPUT_DIR"], False),
                      "catalog-service": (config["OUTPUT_DIR"], True)}
    assert config["CATALOG_PATH"] == f"{config['OUTPUT_DIR']}/current/catalog.parquet"


def test_configmap_values_match_the_compose_defaults(applied_manifests, env_example) -> None:
    config = objects(applied_manifests, "ConfigMap")["streaming-recs-config"]["data"]
    for key in ("LOG_LEVEL", "REDIS_KEY_PREFIX", "REDIS_TIMEOUT_SECONDS",
                "DOWNSTREAM_TIMEOUT_SECONDS"):
        assert config[key] == env_example[key], key
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for key in ("CATALOG_SERVICE_URL", "RECSYS_SERVICE_URL"):
        assert config[key] == compose["gateway"]["environment"][key], key
    assert config["CATALOG_PATH"] == compose["catalog-service"]["environment"]["CATALOG_PATH"]
    assert config["OUTPUT_DIR"] == compose["etl-job"]["environment"]["OUTPUT_DIR"]
    assert config["DATA_DIR"] == compose["etl-job"]["environment"]["DATA_DIR"]


def test_every_configmap_key_is_used_and_every_reference_exists(applied_manifests) -> None:
    config = objects(applied_manifests, "ConfigMap")["streaming-recs-config"]["data"]
    secret = objects(applied_manifests, "Secret")["redis-auth"]["stringData"]
    used = set()
    for manifest in applied_manifests:
        text = yaml.safe_dump(manifest.doc)
        for reference in re.findall(r"configMapKeyRef:\n\s+key: (\w+)", text):
            assert reference in config, reference
            used.add(reference)
        for reference in re.findall(r"secretKeyRef:\n\s+key: (\w+)", text):
            assert reference in secret, reference
    assert used == set(config)


def test_every_allow_rule_is_limited_to_the_target_port(applied_manifests, workloads) -> None:
    pods = {t["metadata"]["labels"][NAME]: t for _, t in workloads}
    for name, policy in objects(applied_manifests, "NetworkPolicy").items():
        for rule in policy["spec"].get("ingress") or []:
            target = pods[policy["spec"]["podSelector"]["matchLabels"][NAME]]
            container_ports = {p["containerPort"] for c in containers(target, init=False)
                               for p in c["ports"]}
            assert {p["port"] for p in rule["ports"]} == container_ports, name
