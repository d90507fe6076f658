"""Processes killed, stalled and stopped under a real stack: what the client gets, every time.

The scenarios of the operator's failure trial, and a stalled catalog (it used to collect
the work the gateway had given up on, and did all of it once resumed).
"""

import concurrent.futures
import signal
import threading
import time

import httpx
import pytest
from testkit.stack import DOWNSTREAM_TIMEOUT, Stack, metric

pytestmark = pytest.mark.slow

RECOMMENDATION = "/get_recommendation?titulo=the long night"
CATALOG_ROUTE = "/get_count_platform?platform=netflix"
# A 503 must come no later than the downstream timeout plus this much (a loaded machine).
SLACK = 1.5


def timed_get(client: httpx.Client, url: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(url)
    return response, time.perf_counter() - started


def test_a_killed_catalog_is_a_fast_503_while_recommendations_work(stack_factory):
    stack = stack_factory()
    stack.catalog.send_signal(signal.SIGKILL)
    stack.catalog.popen.wait(timeout=10)
    with stack.client() as client:
        catalog, seconds = timed_get(client, CATALOG_ROUTE)
        recs = client.get(RECOMMENDATION)
        ready = client.get("/readyz")
    assert catalog.status_code == 503
    assert catalog.json() == {"code": "unavailable",
                              "detail": "The catalog service cannot be reached."}
    assert seconds < DOWNSTREAM_TIMEOUT  # refused at once, not waited for
    assert recs.status_code == 200, recs.text
    assert recs.json()[0] == "another long night"
    assert (ready.status_code, ready.json()["status"]) == (200, "degraded")


def test_a_stalled_catalog_is_a_503_within_the_timeout_while_recommendations_work(stack: Stack):
    with stack.frozen(stack.catalog), stack.client() as client:
        catalog, seconds = timed_get(client, CATALOG_ROUTE)
        recs = client.get(RECOMMENDATION)
    assert catalog.status_code == 503
    assert catalog.json()["detail"] == (
        f"The catalog service did not answer within {DOWNSTREAM_TIMEOUT:g} second.")
    assert DOWNSTREAM_TIMEOUT <= seconds < DOWNSTREAM_TIMEOUT + SLACK
    assert recs.status_code == 200, recs.text


def test_a_stalled_catalog_does_not_do_the_work_callers_gave_up_on(stack: Stack):
    # Every request the gateway abandoned at a stalled catalog was queued
    # there and processed once it resumed. Each carries its deadline now; past it, none is.
    asked = 60
    urls = [f"/get_score_count?platform=netflix&scored={n}&year=2020" for n in range(asked)]
    with httpx.Client(base_url=stack.catalog.url) as internal:
        before = internal.get("/metrics").text
    served_before = metric(before, "http_requests_total", route="/v1/score-count", status="200")
    shed_before = metric(before, "http_requests_shed_total", reason="deadline_passed")
    with stack.frozen(stack.catalog), stack.client() as client, \
            concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(client.get, urls))
    assert {answer.status_code for answer in answers} == {503}
    with stack.client() as client:
        # Resumed: a fresh request is served, and the abandoned ones were refused unstarted.
        assert client.get(urls[0]).status_code == 200
    with httpx.Client(base_url=stack.catalog.url) as internal:
        deadline = time.monotonic() + 10
        while True:
            metrics = internal.get("/metrics").text
            shed = metric(metrics, "http_requests_shed_total",
                          reason="deadline_passed") - shed_before
            if shed >= asked or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    served = metric(metrics, "http_requests_total", route="/v1/score-count",
                    status="200") - served_before
    assert served == 1  # only the fresh request
    assert shed == asked


def test_a_stalled_redis_is_a_503_and_recovers_by_itself(stack: Stack):
    with stack.client() as client:
        assert client.get(RECOMMENDATION).status_code == 200
        with stack.frozen(stack.redis):
            stalled, seconds = timed_get(client, RECOMMENDATION)
            catalog = client.get(CATALOG_ROUTE)
        assert stalled.status_code == 503
        assert stalled.json()["code"] == "unavailable"
        assert seconds < DOWNSTREAM_TIMEOUT + SLACK
        assert catalog.status_code == 200  # the catalog routes never needed Redis
        deadline = time.monotonic() + 15
        while (recovered := client.get(RECOMMENDATION)).status_code != 200:
            assert time.monotonic() < deadline, recovered.text
            time.sleep(0.2)
    assert recovered.json()[0] == "another long night"


def test_sigterm_cuts_no_request_in_flight(stack_factory):
    # In flight for sure: the catalog is frozen while the gateway waits on it (a 6 s bound),
    # the gateway gets SIGTERM, then the catalog thaws; every request must still be answered.
    stack = stack_factory(DOWNSTREAM_TIMEOUT_SECONDS="6")
    results: list[httpx.Response | Exception] = []
    client = stack.client(limits=httpx.Limits(max_connections=8))

    def ask(n: int) -> None:
        try:
            results.append(client.get(f"/get_score_count?platform=netflix&scored={n}&year=2020"))
        except httpx.HTTPError as exc:
            results.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    with client:
        with stack.frozen(stack.catalog):
            for thread in threads:
                thread.start()
            time.sleep(2)  # all eight are now waiting on the frozen catalog
            stack.gateway.send_signal(signal.SIGTERM)
            time.sleep(0.5)
        for thread in threads:
            thread.join(timeout=15)
    assert len(results) == 8
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in results), results
    # Then it exited (uvicorn re-raises SIGTERM once its graceful shutdown is done).
    assert stack.gateway.popen.wait(timeout=10) in (0, -signal.SIGTERM)


def test_past_max_in_flight_the_gateway_sheds_at_once_instead_of_queueing(stack_factory):
    # Four requests wait on a frozen catalog; a fifth must not queue behind them.
    stack = stack_factory(MAX_IN_FLIGHT="4", DOWNSTREAM_TIMEOUT_SECONDS="5")
    client = stack.client(limits=httpx.Limits(max_connections=8))
    with client, concurrent.futures.ThreadPoolExecutor(4) as pool:
        with stack.frozen(stack.catalog):
            waiting = [pool.submit(client.get, f"/get_score_count?platform=netflix&scored={n}"
                                               "&year=2020") for n in range(4)]
            time.sleep(1.5)  # all four are in flight now
            shed, seconds = timed_get(client, RECOMMENDATION)
            probe = client.get("/healthz")
            ready = client.get("/readyz")
            metrics = httpx.get(f"{stack.gateway.url}/metrics", timeout=30).text
        answered = [future.result().status_code for future in waiting]
    assert shed.status_code == 503
    assert shed.json()["code"] == "overloaded"
    assert shed.headers["retry-after"] == "1"
    assert seconds < 1  # at once, not after the others
    assert probe.status_code == 200  # probes are never shed
    assert ready.status_code == 503  # but a process shedding requests is not ready
    assert ready.json()["code"] == "overloaded"
    assert metric(metrics, "http_requests_shed_total", reason="overloaded") == 1
    assert answered == [200] * 4  # thawed in time: every waiting request is answered


def test_one_client_cannot_hold_every_slot(stack_factory):
    # Two requests of one address wait on a frozen catalog: its third is refused at once,
    # another address is still admitted.
    stack = stack_factory(MAX_IN_FLIGHT="8", MAX_CLIENT_IN_FLIGHT="2",
                          DOWNSTREAM_TIMEOUT_SECONDS="5")
    client = stack.client(limits=httpx.Limits(max_connections=8))
    other = httpx.Client(base_url=stack.gateway.url, timeout=30,
                         transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with client, other, concurrent.futures.ThreadPoolExecutor(3) as pool:
        with stack.frozen(stack.catalog):
            waiting = [pool.submit(client.get, f"/get_score_count?platform=netflix&scored={n}"
                                               "&year=2020") for n in range(2)]
            time.sleep(1.5)  # both are in flight now
            refused, seconds = timed_get(client, RECOMMENDATION)
            admitted = pool.submit(other.get, RECOMMENDATION)
            time.sleep(0.5)
        answered = [future.result().status_code for future in [*waiting, admitted]]
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_at_once"
    assert seconds < 1
    assert answered == [200] * 3
