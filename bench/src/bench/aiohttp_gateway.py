"""Bench-only arm: the same gateway with its downstream calls made by aiohttp's own client.

`uvicorn --factory bench.aiohttp_gateway:create_app` runs gateway.main's app unchanged except
`DownstreamClient._fetch`, so the difference to the shipped gateway is exactly what the httpx
API (httpx.Request/Response around the same aiohttp pool) costs per call.
"""

import aiohttp
import httpx
from contracts.observability import DATA_VERSION_HEADER
from fastapi import FastAPI
from gateway.clients import DownstreamClient, Reply
from gateway.main import create_app as create_gateway
from pydantic import BaseModel

_sessions: dict[int, aiohttp.ClientSession] = {}


async def _fetch_with_aiohttp(self: DownstreamClient, target: str,
                              headers: dict[str, str],
                              body: BaseModel | None = None) -> Reply:
    session = _sessions.get(id(self))
    if session is None:
        session = _sessions[id(self)] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), auto_decompress=False)
    method, data = ("GET", None) if body is None else ("POST", body.model_dump_json())
    if data is not None:
        headers = {**headers, "content-type": "application/json"}
    try:
        async with session.request(method, self._base_url + target, headers=headers,
                                   data=data) as answer:
            content = await answer.read()
    except aiohttp.ClientConnectorError as error:
        raise httpx.ConnectError(str(error)) from error
    except aiohttp.ClientError as error:
        raise httpx.ReadError(str(error)) from error
    return Reply(answer.status, content, answer.headers.get(DATA_VERSION_HEADER))


async def close_sessions() -> None:
    """Close the arm's sessions (the process ends with them otherwise; a test closes them)."""
    for session in _sessions.values():
        await session.close()
    _sessions.clear()


def create_app() -> FastAPI:
    DownstreamClient._fetch = _fetch_with_aiohttp  # type: ignore[method-assign]
    return create_gateway()
