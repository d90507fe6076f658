"""Bounds on every request, against real processes: hostile heads, bodies, rates and inputs.

Each once failed: one 50 MB header was accepted, eight unfinished ones took the gateway from
72 to 453 MB, slow headers never timed out, nothing limited the rate, a 422 echoed a 60 KB input.
"""

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from testkit.raw_http import raw_exchange, status_of
from testkit.stack import REPO, Stack, metric, stack_starter

from harness import Service

pytestmark = pytest.mark.slow

RATE = "20/minute"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory, sample_catalog_dir: Path,
            hand_written_model) -> Iterator[Stack]:
    """A stack whose gateway admits 20 requests a minute per client, the client being named
    by X-Real-IP (as behind ingress-nginx)."""
    with stack_starter(tmp_path_factory.mktemp("bounded"), sample_catalog_dir,
                       hand_written_model) as start:
        yield start(RATE_LIMIT=RATE,
                    RATE_LIMIT_CLIENT_HEADER="X-Real-IP")


def test_a_large_body_is_refused_unread(bounded: Stack):
    head = (b"POST /get_count_platform HTTP/1.1\r\nHost: gateway\r\nX-Real-IP: 10.1.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n")
    answer, seconds = raw_exchange(bounded.gateway.url, head + b"{" * 65536)
    assert status_of(answer) == 413
    assert b"body_too_large" in answer
    assert seconds < 3


def test_a_client_over_its_rate_gets_429_with_retry_after(bounded: Stack):
    with bounded.client(headers={"X-Real-IP": "10.2.0.1"}) as client:
        answers = [client.get("/get_count_platform?platform=netflix") for _ in range(22)]
        other = client.get("/get_count_platform?platform=netflix",
                           headers={"X-Real-IP": "10.2.0.2"})
        probe = client.get("/readyz")
        metrics = client.get("/metrics").text
    statuses = [answer.status_code for answer in answers]
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"].startswith("More than 20 per 1 minute requests from this")
    assert other.status_code == 200  # another client is not held back
    assert probe.status_code == 200  # nor are the probes
    assert metric(metrics, "gateway_rate_limited_total") >= 2


def test_counters_in_redis_are_shared_by_every_gateway(stack_factory, tmp_path: Path):
    stack = stack_factory()
    shared = {"RATE_LIMIT": "6/minute", "RATE_LIMIT_REDIS_URL": stack.redis.url,
              "CATALOG_SERVICE_URL": stack.catalog.url, "RECSYS_SERVICE_URL": stack.recsys.url,
              "INTERNAL_TOKEN": "test-internal-token"}
    replicas = []
    for n in (1, 2):
        replica = Service(f"gateway{n}", "gateway.main:create_app", shared,
                          tmp_path / f"gateway{n}.log", ready_path="/healthz", cwd=REPO)
        replica.start(timeout=60)
        replicas.append(replica)
    try:
        statuses = []
        for n in range(8):  # alternate between the two replicas
            with httpx.Client(base_url=replicas[n % 2].url, timeout=30) as client:
                statuses.append(client.get("/get_count_platform?platform=netflix").status_code)
        with stack.frozen(stack.redis), httpx.Client(base_url=replicas[0].url,
                                                      timeout=30) as client:
            # The counters' Redis stalled: the limiter lets requests through, never a 5xx.
            during = client.get("/get_count_platform?platform=hulu")
    finally:
        for replica in replicas:
            replica.stop()
    assert statuses == [200] * 6 + [429, 429]
    assert during.status_code == 200


def test_an_error_echoes_only_a_short_prefix_of_the_bad_value(bounded: Stack):
    bad = "x" * 6000
    with bounded.client(headers={"X-Real-IP": "10.3.0.1"}) as client:
        platform = client.get("/get_count_platform", params={"platform": bad})
        title = client.get("/titles/" + bad)
    for answer in (platform, title):
        assert answer.status_code == 422
        assert len(answer.content) < 600  # was the whole value back (60 KB in, 60 KB out)
        assert "x" * 60 + "'... (6000 characters)" in answer.json()["detail"]


def test_forwarded_for_from_loopback_does_not_make_new_clients(bounded: Stack):
    # Only RATE_LIMIT_CLIENT_HEADER names a client: X-Forwarded-For is not trusted, even from
    # 127.0.0.1 (uvicorn trusts it from there unless told not to).
    rng = random.Random(7)
    forwarded = [".".join(str(rng.randrange(1, 255)) for _ in range(4)) for _ in range(1000)]
    with bounded.client() as client:
        statuses = Counter(client.get("/get_count_platform?platform=netflix",
                                      headers={"X-Forwarded-For": address}).status_code
                           for address in forwarded)
    # 20 a minute, and a few more where the sliding window straddles two minutes.
    assert statuses[200] <= 25
    assert statuses[429] >= 975
