"""Security basics on real processes: headers, the internal token, what the public listener
shows, and no Redis password in any log line or answer."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from contracts.observability import JsonFormatter
from testkit.stack import REPO, TOKEN, Stack

from harness import Service, free_port

pytestmark = pytest.mark.slow

PASSWORD = "s3cret-pw-never-shown"


def test_gateway_answers_carry_security_headers(stack: Stack):
    with stack.client() as client:
        api = client.get("/get_count_platform?platform=netflix")
        error = client.get("/get_count_platform?platform=hbo")
        page = client.get("/")
    for answer in (api, error):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    # The page keeps its own policy (it loads its scripts from 'self').
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_internal_services_require_the_shared_token(stack: Stack):
    for service, path in ((stack.catalog, "/v1/count-platform?platform=netflix"),
                          (stack.recsys, "/v1/neighbours/ns1")):
        with httpx.Client(base_url=service.url, timeout=30) as client:
            without = client.get(path)
            wrong = client.get(path, headers={"X-Internal-Token": "guess"})
            right = client.get(path, headers={"X-Internal-Token": TOKEN})
            probe = client.get("/healthz")
        assert (without.status_code, wrong.status_code) == (401, 401)
        assert without.json()["code"] == "unauthorized"
        assert right.status_code == 200
        assert probe.status_code == 200  # the kubelet's probes carry no token


def test_docs_and_metrics_can_leave_the_public_listener(stack: Stack, tmp_path: Path):
    metrics_port = free_port()
    gateway = Service("gateway-prod", "gateway.main:create_app", {
        "CATALOG_SERVICE_URL": stack.catalog.url, "RECSYS_SERVICE_URL": stack.recsys.url,
        "INTERNAL_TOKEN": TOKEN, "DOCS_ENABLED": "false", "METRICS_PORT": str(metrics_port)},
        tmp_path / "gateway.log", ready_path="/healthz", cwd=REPO)
    gateway.start(timeout=60)
    try:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            hidden = {path: client.get(path).status_code
                      for path in ("/docs", "/redoc", "/openapi.json", "/metrics")}
            served = client.get("/get_count_platform?platform=netflix")
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30)
    finally:
        gateway.stop()
    assert hidden == dict.fromkeys(hidden, 404)
    assert served.status_code == 200
    assert scraped.status_code == 200
    assert 'route="/get_count_platform"' in scraped.text


def test_a_redis_password_never_reaches_a_log_or_an_answer(stack: Stack, tmp_path: Path):
    dead = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    recsys = Service("recsys-dead", "recsys_service.main:create_app",
                     {"REDIS_URL": dead, "INTERNAL_TOKEN": TOKEN}, tmp_path / "recsys.log",
                     ready_path="/healthz", cwd=REPO)
    gateway = Service("gateway-dead", "gateway.main:create_app", {
        "CATALOG_SERVICE_URL": stack.catalog.url, "RECSYS_SERVICE_URL": recsys.url,
        "INTERNAL_TOKEN": TOKEN, "RATE_LIMIT": "100/second", "RATE_LIMIT_REDIS_URL": dead},
        tmp_path / "gateway.log", ready_path="/healthz", cwd=REPO)
    recsys.start(timeout=60)
    gateway.start(timeout=60)
    try:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            answers = [client.get("/get_recommendation?titulo=the long night"),
                       client.get("/get_count_platform?platform=netflix"),
                       client.get("/readyz")]
    finally:
        gateway.stop()
        recsys.stop()
    assert [a.status_code for a in answers] == [503, 200, 200]
    logs = recsys.log() + gateway.log()
    assert "rate limiting is off while its Redis (redis://***@127.0.0.1" in logs
    for text in [logs, *(a.text for a in answers)]:
        assert PASSWORD not in text


def test_the_log_formatter_redacts_any_url_credentials():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1,
                               "cannot reach %s", (f"rediss://user:{PASSWORD}@redis:6380/1",),
                               None)
    line = json.loads(JsonFormatter("test").format(record))
    assert line["message"] == "cannot reach rediss://***@redis:6380/1"


def test_etl_job_errors_never_show_the_redis_password(tmp_path: Path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"}
    done = subprocess.run([str(Path(sys.executable).with_name("etl-job")), "rollback"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("etl-job: error: Redis is unavailable")
    assert PASSWORD not in done.stdout + done.stderr
