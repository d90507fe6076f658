"""The Kubernetes manifests against docs/capacity.md's worked example (5,000 req/s, 100M
ratings): the model is built from the committed bench/results.json and bench/scaling.json, the
manifests are read as YAML, and each bound is recomputed here from the model's measured figures."""

import re
from typing import Any

import pytest
from bench.capacity_model import (
    CORES_PER_POD,
    PLANNED_RPS,
    SERVICE_MEMORY_HEADROOM,
    SERVICES,
    UTILISATION,
    Model,
    load,
)
from deploy.files import REPO, Manifest, pod_template

# Kubernetes resource quantities: decimal and binary suffixes, millicores.
SUFFIXES = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}


def quantity(value: str | int | float) -> float:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", str(value))
    assert match, f"not a Kubernetes quantity: {value!r}"
    assert match[2] in SUFFIXES, f"unknown suffix in {value!r}"
    return float(match[1]) * SUFFIXES[match[2]]


def test_quantities_read_as_kubernetes_reads_them() -> None:
    assert quantity("500m") == 0.5
    assert quantity("1") == quantity(1) == 1.0
    assert quantity("12Gi") == 12 * 2**30
    assert quantity("256Mi") == 256 * 2**20
    assert quantity("2G") == 2e9
    with pytest.raises(AssertionError):
        quantity("12 GB")


@pytest.fixture(scope="module")
def model() -> Model:
    return load(REPO / "bench" / "results.json", REPO / "bench" / "scaling.json")


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, dict[str, Any]]:
    return {m.name: m.doc for m in manifests if m.kind == kind}


def main_container(doc: dict[str, Any]) -> dict[str, Any]:
    template = pod_template(doc)
    assert template is not None
    (container,) = template["spec"]["containers"]
    return container


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_scales_to_the_planned_load_on_its_heaviest_route(
        applied_manifests: list[Manifest], model: Model, service: str) -> None:
    hpa = by_kind(applied_manifests, "HorizontalPodAutoscaler")[service]["spec"]
    limits = main_container(by_kind(applied_manifests, "Deployment")[service])["resources"][
        "limits"]
    load = model.services[service]
    # One process uses one core at most, whatever the limit; below one core, the limit binds.
    cores = min(quantity(limits["cpu"]), CORES_PER_POD)
    per_pod = cores * 1000 / load.worst_ms * UTILISATION
    assert hpa["maxReplicas"] * per_pod >= PLANNED_RPS, (
        f"{service}: {hpa['maxReplicas']} pods x {per_pod:,.0f} req/s < {PLANNED_RPS:,} "
        f"({load.worst_route} costs {load.worst_ms} ms of CPU)")
    assert hpa["maxReplicas"] >= model.plan_pods(service)
    (metric,) = hpa["metrics"]
    assert metric["resource"]["target"]["averageUtilization"] <= UTILISATION * 100
    assert load.rss_bytes is not None
    assert quantity(limits["memory"]) >= load.rss_bytes * SERVICE_MEMORY_HEADROOM


@pytest.mark.parametrize("name", ["etl-initial", "etl-nightly"])
def test_the_etl_pod_fits_the_shipped_peak_and_the_extrapolated_one(
        applied_manifests: list[Manifest], model: Model, name: str) -> None:
    doc = {**by_kind(applied_manifests, "Job"), **by_kind(applied_manifests, "CronJob")}[name]
    resources = main_container(doc)["resources"]
    assert model.shipped is not None
    assert model.etl_peak_bytes is not None
    assert model.etl_seconds is not None
    fit = model.fit
    assert fit is not None
    extrapolated = fit.high.peak_bytes + (100_000_000 - fit.high.rows) / 1e6 * (
        (fit.high.peak_bytes - fit.low.peak_bytes) / ((fit.high.rows - fit.low.rows) / 1e6))
    assert extrapolated == pytest.approx(model.etl_peak_bytes)
    assert quantity(resources["limits"]["memory"]) >= extrapolated
    assert quantity(resources["requests"]["memory"]) >= model.shipped.peak_bytes
    job = doc["spec"] if doc["kind"] == "Job" else doc["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] >= model.etl_seconds


def test_redis_holds_its_versions_at_the_peak(applied_manifests: list[Manifest],
                                              model: Model) -> None:
    limits = main_container(by_kind(applied_manifests, "StatefulSet")["redis"])["resources"][
        "limits"]
    redis = model.redis
    assert quantity(limits["memory"]) >= (redis.empty_bytes or 0) + 3 * redis.version_bytes
