"""Bench-only arm: the same gateway with its downstream calls made by aiohttp's own client.

`uvicorn --factory bench.aiohttp_gateway:create_app` runs gateway.main's app unchanged except
`DownstreamClient._call`, so the difference to the shipped gateway is what the httpx API
(`httpx.AsyncClient` over httpx-aiohttp's transport, the same aiohttp pool) costs per call.
"""

import asyncio
import time

import aiohttp
import httpx
from contracts.errors import UpstreamUnavailable
from contracts.guard import DEADLINE_HEADER
from contracts.observability import REQUEST_ID_HEADER, request_id_var
from fastapi import FastAPI
from gateway.clients import DownstreamClient
from gateway.main import create_app as create_gateway
from pydantic import BaseModel

_sessions: dict[int, aiohttp.ClientSession] = {}


async def _call_with_aiohttp(self: DownstreamClient, target: str, *,
                             body: BaseModel | None = None,
                             route: str | None = None) -> httpx.Response:
    headers = {REQUEST_ID_HEADER: request_id_var.get(),
               DEADLINE_HEADER: f"{time.time() + self._timeout:.3f}", **self._token_header}
    started = time.perf_counter()
    session = _sessions.get(id(self))
    if session is None:
        session = _sessions[id(self)] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), auto_decompress=False)
    method, data = ("GET", None) if body is None else ("POST", body.model_dump_json())
    if data is not None:
        headers = {**headers, "content-type": "application/json"}
    try:
        async with asyncio.timeout(self._timeout), session.request(
                method, str(self._http.base_url).rstrip("/") + target, headers=headers,
                data=data) as answer:
            content = await answer.read()
    except (TimeoutError, aiohttp.ClientError) as error:
        raise UpstreamUnavailable(f"The {self.service_name} failed: {error!r}") from error
    if self._metrics is not None:
        self._metrics.observe(self.service_name, route or target.partition("?")[0],
                              str(answer.status), time.perf_counter() - started)
    return httpx.Response(answer.status, headers=answer.raw_headers, content=content)


async def close_sessions() -> None:
    """Close the arm's sessions (the process ends with them otherwise; a test closes them)."""
    for session in _sessions.values():
        await session.close()
    _sessions.clear()


def create_app() -> FastAPI:
    DownstreamClient._call = _call_with_aiohttp  # type: ignore[method-assign]
    return create_gateway()
