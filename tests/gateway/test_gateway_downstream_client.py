"""The downstream client (httpx over aiohttp's pool): failures named by type, queries as sent."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from contracts.errors import UpstreamUnavailable
from contracts.observability import request_id_var
from gateway.clients import CatalogClient, build_http_client
from gateway.config import Settings


@asynccontextmanager
async def client_for(url: str, *, seconds: float = 0.3) -> AsyncIterator[CatalogClient]:
    settings = Settings(catalog_service_url=url, recsys_service_url=url,
                        downstream_timeout_seconds=seconds)
    async with build_http_client(url, settings) as http:
        yield CatalogClient(http, timeout_seconds=seconds)


async def test_the_gateway_says_which_by_type_not_by_elapsed_time(dead_url, hanging_url):
    # A refused call under a tiny deadline still says "cannot be reached" (no timeout), and a
    # stalled one "did not answer" once the deadline has passed.
    sentences = {}
    for name, url in (("refused", dead_url), ("stalled", hanging_url)):
        async with client_for(url) as client:
            started = time.perf_counter()
            with pytest.raises(UpstreamUnavailable) as failure:
                await client.count_platform(platform="netflix")
        sentences[name] = (failure.value.body.detail, time.perf_counter() - started)
    assert sentences["refused"][0] == "The catalog service cannot be reached."
    assert sentences["stalled"][0] == "The catalog service did not answer within 0.3 seconds."
    assert sentences["stalled"][1] >= 0.3


async def test_a_query_is_sent_as_encoded_once_with_the_request_id(scripted):
    server = scripted()
    server.answer("/v1/contents", 200, {"count": 7})
    token = request_id_var.set("abc")
    try:
        async with client_for(server.url, seconds=5) as client:
            count = await client.contents(rating="13+ kids")
    finally:
        request_id_var.reset(token)
    assert count == 7
    # Spaces as '+', '+' as %2B: the catalog reads the rating the gateway read.
    assert server.requests == ["/v1/contents?rating=13%2B+kids"]
    assert server.request_ids == ["abc"]
