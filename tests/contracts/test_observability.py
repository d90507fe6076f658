"""Request ids, JSON log lines and metrics from the shared middleware."""

import json
import logging
import random

import httpx
import pytest
from contracts.observability import (
    LATENCY_BUCKETS,
    JsonFormatter,
    Metrics,
    install_observability,
    request_id_var,
)
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families


def _app() -> FastAPI:
    app = FastAPI()
    metrics = install_observability(app, service="test-svc")
    assert isinstance(metrics, Metrics)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, str]:
        return {"request_id": request_id_var.get(), "item": str(item_id)}

    return app


async def test_request_id_is_kept_or_generated_and_metrics_count_by_route() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()),
                                 base_url="http://t") as client:
        given = await client.get("/items/1", headers={"X-Request-ID": "abc-123"})
        generated = await client.get("/items/2")
        hostile = await client.get("/items/3", headers={"X-Request-ID": "bad id\nx"})
        await client.get("/items/nope")
        metrics = await client.get("/metrics")
    assert given.headers["x-request-id"] == "abc-123"
    assert given.json()["request_id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert generated.json()["request_id"] == generated.headers["x-request-id"]
    assert hostile.headers["x-request-id"] != "bad id\nx"
    text = metrics.text
    assert ('http_requests_total{method="GET",route="/items/{item_id}",'
            'service="test-svc",status="200"} 3.0') in text
    assert 'route="/items/{item_id}",service="test-svc",status="422"} 1.0' in text
    assert "http_request_duration_seconds_bucket" in text


def test_json_formatter_writes_one_object_with_request_id() -> None:
    token = request_id_var.set("rid-9")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
        line = json.loads(JsonFormatter("svc").format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello you"
    assert line["request_id"] == "rid-9"
    assert line["service"] == "svc"
    assert line["level"] == "info"


@pytest.mark.parametrize("header", ["", "x" * 129])
async def test_unusable_request_ids_are_replaced(header: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()),
                                 base_url="http://t") as client:
        answer = await client.get("/items/1", headers={"X-Request-ID": header})
    assert answer.headers["x-request-id"] != header
    assert len(answer.headers["x-request-id"]) in (32, 128)


def test_extra_histograms_are_registered_once() -> None:
    metrics = Metrics("svc")
    first = metrics.histogram("redis_read_duration_seconds", "doc", ["operation"])
    assert metrics.histogram("redis_read_duration_seconds", "doc", ["operation"]) is first
    first.labels("movie").observe(0.001)
    assert b'redis_read_duration_seconds_count{operation="movie"} 1.0' in metrics.render().body


async def test_internal_services_log_only_errors_and_slow_requests(capsys) -> None:
    # The request durations come from a clock the routes move: no sleeping against the bound.
    now = [0.0]
    app = FastAPI()
    install_observability(app, service="quiet-svc", access_log=False, slow_seconds=0.5,
                          data_version=lambda scope: "v7", timer=lambda: now[0])

    @app.get("/fast")
    async def fast() -> int:
        now[0] += 0.49
        return 1

    @app.get("/slow")
    async def slow() -> int:
        now[0] += 0.5
        return 2

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        quick = await client.get("/fast", headers={"X-Request-ID": "quick-1"})
        late = await client.get("/slow", headers={"X-Request-ID": "late-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
             if line.startswith("{")]
    assert quick.headers["x-data-version"] == late.headers["x-data-version"] == "v7"
    assert [line["request_id"] for line in lines] == ["late-1"]
    assert lines[0]["level"] == "warning"
    assert lines[0]["route"] == "/slow"
    assert lines[0]["slow"] is True


def test_request_metrics_expose_what_prometheus_client_would() -> None:
    # The same observations through prometheus_client's own Counter and Histogram, whose
    # exposition is the reference (their `_created` series aside), bucket bounds included.
    rng = random.Random(5)
    metrics = Metrics("svc")
    reference = CollectorRegistry()
    counter = Counter("http_requests_total", "HTTP requests by route and status.",
                      ["service", "method", "route", "status"], registry=reference)
    histogram = Histogram("http_request_duration_seconds", "HTTP request latency.",
                          ["service", "method", "route"], buckets=LATENCY_BUCKETS,
                          registry=reference)
    for _ in range(2000):
        method, route = rng.choice([("GET", "/v1/a"), ("GET", "/v1/b/{id}"), ("POST", "/v1/c")])
        status = rng.choice([200, 200, 404, 422, 503])
        seconds = rng.choice([*LATENCY_BUCKETS, rng.uniform(0, 3), rng.expovariate(300)])
        metrics.observe_request(method, route, status, seconds)
        counter.labels("svc", method, route, str(status)).inc()
        histogram.labels("svc", method, route).observe(seconds)

    def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples if not sample.name.endswith("_created")}

    got = samples(bytes(metrics.render().body).decode())
    expected = samples(generate_latest(reference).decode())
    assert len(expected) > 50
    assert got.keys() == expected.keys()
    assert all(got[key] == pytest.approx(value) for key, value in expected.items())
