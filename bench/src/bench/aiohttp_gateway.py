"""Bench-only arm: the same gateway with its downstream calls made by aiohttp's own client.

`uvicorn --factory bench.aiohttp_gateway:create_app` runs gateway.main's app unchanged except
`DownstreamClient._fetch`, so the difference to the shipped gateway is exactly what the httpx
API (httpx.Request/Response around the same aiohttp pool) costs per call.
"""

import aiohttp
import httpx
from contracts.observability import DATA_VERSION_HEADER
from fastapi import FastAPI
from gateway.main import create_app as create_gateway

from gateway import clients

_sessions: dict[int, aiohttp.ClientSession] = {}


async def _fetch_with_aiohttp(self: clients.DownstreamClient, target: str,
                              headers: dict[str, str]) -> clients.Reply:
    session = _sessions.get(id(self))
    if session is None:
        session = _sessions[id(self)] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), auto_decompress=False)
    try:
        async with session.get(self._base_url + target, headers=headers) as answer:
            body = await answer.read()
    except aiohttp.ClientConnectorError as error:
        raise httpx.ConnectError(str(error)) from error
    except aiohttp.ClientError as error:
        raise httpx.ReadError(str(error)) from error
    return clients.Reply(answer.status, body, answer.headers.get(DATA_VERSION_HEADER))


def create_app() -> FastAPI:
    clients.DownstreamClient._fetch = _fetch_with_aiohttp  # type: ignore[method-assign, assignment]
    return create_gateway()
