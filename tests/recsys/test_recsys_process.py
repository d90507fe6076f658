"""recsys-service as a real process while its Redis is stopped, restarted and frozen."""

import signal
import time
from collections.abc import Callable, Iterator

import httpx
import polars as pl
import pytest
import redis
from etl_job.publish import publish_neighbours

from harness import RedisServer, Service

PREFIX = "test-recs-process"
# A hung request would blow this; the service's own bound (REDIS_TIMEOUT_SECONDS) is 0.5s.
CLIENT_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def version(own_redis: RedisServer, model_frames: tuple[pl.DataFrame, pl.DataFrame]) -> str:
    titles, neighbours = model_frames
    return publish_neighbours(redis_url=own_redis.url, key_prefix=PREFIX, titles=titles,
                              neighbours=neighbours, meta={"model_version": "process-test"})


@pytest.fixture(scope="module")
def service(own_redis: RedisServer, version: str,
            start_service: Callable[..., Service]) -> Service:
    return start_service("recsys_service.main:create_app", {
        "REDIS_URL": own_redis.url, "REDIS_KEY_PREFIX": PREFIX, "REDIS_TIMEOUT_SECONDS": "0.5"})


@pytest.fixture
def running_redis(own_redis: RedisServer) -> Iterator[RedisServer]:
    """The module's Redis, running again (and thawed) after the test whatever happened."""
    yield own_redis
    if own_redis.running:
        own_redis.send_signal(signal.SIGCONT)
    else:
        own_redis.start()


def _get(service: Service, path: str) -> httpx.Response:
    return httpx.get(f"{service.url}{path}", timeout=CLIENT_TIMEOUT)


def _wait_for_200(service: Service, path: str, deadline_seconds: float = 15.0) -> httpx.Response:
    """Poll until the service answers 200 again (it must recover by itself, no restart)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        response = _get(service, path)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_redis_stopped_then_started_under_the_service(service: Service, running_redis: RedisServer,
                                                      version: str) -> None:
    assert _get(service, "/v1/neighbours/ns1").json()["model_version"] == version
    # Dump the data so the restarted server loads it (the test servers run without saving).
    client = redis.Redis.from_url(running_redis.url)
    client.save()
    client.close()
    running_redis.stop()

    for path in ("/v1/neighbours/ns1", "/v1/neighbours?title=the+matrix", "/v1/model",
                 "/readyz"):
        down = _get(service, path)
        assert down.status_code == 503, path
        assert down.json()["code"] == "unavailable"
    assert _get(service, "/healthz").status_code == 200

    running_redis.start()
    back = _wait_for_200(service, "/v1/neighbours/ns1")
    assert back.status_code == 200
    assert back.json()["model_version"] == version
    assert _get(service, "/readyz").status_code == 200


def test_a_frozen_redis_gives_a_503_not_a_hang(service: Service, running_redis: RedisServer,
                                               version: str) -> None:
    assert _get(service, "/v1/neighbours/ns1").status_code == 200
    # SIGSTOP: connections still open and accepted by the kernel, but nothing ever answers.
    running_redis.send_signal(signal.SIGSTOP)
    try:
        frozen = _get(service, "/v1/neighbours?title=the+matrix")
        assert frozen.status_code == 503
        assert "did not answer within 0.5s" in frozen.json()["detail"]
    finally:
        running_redis.send_signal(signal.SIGCONT)

    back = _wait_for_200(service, "/v1/neighbours?title=the+matrix")
    assert back.status_code == 200
    assert back.json()["matched_ids"] == ["as1", "ns1"]
