"""gateway.transport names each failure by its type: refused is no timeout, whatever the clock."""

import time

import httpx
import pytest
from contracts.errors import UpstreamUnavailable
from gateway.clients import CatalogClient
from gateway.transport import AiohttpPoolTransport


def transport() -> AiohttpPoolTransport:
    return AiohttpPoolTransport(max_connections=4, keepalive_expiry=5)


async def test_a_refused_connection_is_a_connect_error_not_a_timeout(dead_url):
    async with httpx.AsyncClient(transport=transport(), timeout=30) as client:
        with pytest.raises(httpx.ConnectError) as refused:
            await client.get(f"{dead_url}/readyz")
    assert not isinstance(refused.value, httpx.TimeoutException)


async def test_a_stalled_server_is_a_read_timeout(hanging_url):
    async with httpx.AsyncClient(transport=transport(), timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{hanging_url}/readyz")


async def test_the_gateway_says_which_by_type_not_by_elapsed_time(dead_url, hanging_url):
    # A refused connection said "timeout" at once in the old transport; the sentence then
    # hung on how fast it came. Here a refused call under a tiny deadline still says
    # "cannot be reached", and a stalled one "did not answer".
    sentences = {}
    for name, url in (("refused", dead_url), ("stalled", hanging_url)):
        async with httpx.AsyncClient(base_url=url, transport=transport(), timeout=0.3) as http:
            client = CatalogClient(http, timeout_seconds=0.3)
            started = time.perf_counter()
            with pytest.raises(UpstreamUnavailable) as failure:
                await client.count_platform(platform="netflix")
            sentences[name] = (failure.value.body.detail, time.perf_counter() - started)
    assert sentences["refused"][0] == "The catalog service cannot be reached."
    assert sentences["stalled"][0] == "The catalog service did not answer within 0.3 seconds."
    assert sentences["stalled"][1] >= 0.3


async def test_answers_and_headers_pass_through(scripted):
    server = scripted()
    server.answer("/v1/count-platform", 200, {"count": 7})
    async with httpx.AsyncClient(transport=transport(), timeout=5) as client:
        response = await client.get(f"{server.url}/v1/count-platform?platform=hulu",
                                    headers={"X-Request-ID": "abc"})
    assert response.status_code == 200
    assert response.json() == {"count": 7}
    assert response.headers["content-type"].startswith("application/json")
    assert server.requests == ["/v1/count-platform?platform=hulu"]
