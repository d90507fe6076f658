"""Clients of the internal services: one pooled httpx client each, failures mapped to errors."""

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeAlias, TypeVar
from urllib.parse import urlencode

import aiohttp
import httpx
from contracts.api import (
    ActorRead,
    CountRead,
    CountryProductionRead,
    MaxDurationRead,
    MovieNeighboursRead,
    NeighbourFilters,
    TasteRead,
    TasteRequest,
    TitleHit,
    TitleNeighboursRead,
    TitleRead,
    TitleSearchRead,
)
from contracts.domain import platform_param
from contracts.errors import ErrorBody, InvalidParameter, NotFound, UpstreamUnavailable
from contracts.guard import DEADLINE_HEADER, TOKEN_HEADER
from contracts.observability import DATA_VERSION_HEADER, REQUEST_ID_HEADER, request_id_var
from contracts.web import UNKNOWN_ROUTE
from httpx_aiohttp import AiohttpTransport
from prometheus_client import Histogram
from pydantic import BaseModel, ValidationError

from gateway.cache import AnswerCache
from gateway.config import Settings

Answer = TypeVar("Answer", bound=BaseModel)


def build_http_client(base_url: str, settings: Settings) -> httpx.AsyncClient:
    """The one long-lived httpx client of a downstream, on aiohttp's pool (httpx-aiohttp): with
    httpx's own, a one-hop route took 3-4x the gateway CPU per request (bench/changes.md)."""
    limits = httpx.Limits(
        max_connections=settings.downstream_max_connections,
        max_keepalive_connections=settings.downstream_max_connections,
        keepalive_expiry=settings.downstream_keepalive_expiry_seconds,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        transport=AiohttpTransport(limits=limits),
        timeout=httpx.Timeout(settings.downstream_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


# What the cache keeps per question: the parsed answer, or the body of a 404 to raise again.
Cached: TypeAlias = BaseModel | ErrorBody
# Latency of calls to internal services, a histogram child by downstream, route and outcome.
DownstreamLatency: TypeAlias = Callable[[str, str, str], Histogram]


class DownstreamClient:
    """JSON from one internal service over its httpx client; every way a call can fail becomes
    a ServiceError here, in `_call` (the transport) and `_parse` (the answer)."""

    service_name = "downstream service"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout_seconds: float,
        latency: DownstreamLatency | None = None,
        cache: AnswerCache[Cached] | None = None,
        token: str | None = None,
    ) -> None:
        self._http = http
        # Each call's httpx.Request is built here and sent: client.get's merging of URL,
        # params, headers and cookies cost ~60 us more per call (bench/changes.md).
        self._base_url = str(http.base_url).rstrip("/")
        self._extensions = {"timeout": http.timeout.as_dict()}
        # The internal services require the shared token when one is set (contracts.guard).
        self._token_header = {TOKEN_HEADER: token} if token else {}
        self._timeout = timeout_seconds
        self._latency = latency
        # Without one, nothing is kept (a cache with no time to live).
        self._cache = cache if cache is not None else AnswerCache(ttl=0, max_entries=1)

    async def _call(
        self, target: str, *, body: BaseModel | None = None, route: str | None = None
    ) -> httpx.Response:
        """GET `target` (path and query), or POST `body` as JSON to it; the whole call is
        bounded in time and a failure to get any answer becomes UpstreamUnavailable."""
        # The deadline lets a stalled service drop what the gateway has given up on.
        headers = {
            REQUEST_ID_HEADER: request_id_var.get(),
            DEADLINE_HEADER: f"{time.time() + self._timeout:.3f}",
            **self._token_header,
        }
        request = httpx.Request(
            "GET" if body is None else "POST",
            self._base_url + target,
            content=None if body is None else body.model_dump_json(),
            headers=headers if body is None else {**headers, "content-type": "application/json"},
            extensions=self._extensions,
        )
        started = time.perf_counter()
        outcome = "error"
        try:
            # The whole call: a server that trickles bytes cannot hold a caller longer either.
            async with asyncio.timeout(self._timeout):
                response = await self._http.send(request)
            outcome = str(response.status_code)
            return response
        except (TimeoutError, httpx.TransportError) as exc:
            if _unreachable(exc):
                outcome = "unreachable"
                raise UpstreamUnavailable(f"The {self.service_name} cannot be reached.") from exc
            outcome = "timeout"
            unit = "second" if self._timeout == 1 else "seconds"
            raise UpstreamUnavailable(
                f"The {self.service_name} did not answer within {self._timeout:g} {unit}."
            ) from exc
        finally:
            if self._latency is not None:
                self._latency(
                    self.service_name, route or target.partition("?")[0], outcome
                ).observe(time.perf_counter() - started)

    def _error_body(self, response: httpx.Response) -> ErrorBody | None:
        try:
            return ErrorBody.model_validate_json(response.content)
        except ValidationError:
            return None

    async def get_json(
        self,
        path: str,
        answer: type[Answer],
        params: Mapping[str, object] | None = None,
        route: str | None = None,
    ) -> Answer:
        """GET `path` and parse the answer; 404 and 422 carry the downstream's sentence.

        Answers and 404s that name their data version are kept (gateway.cache); a kept 404
        is raised again as the same NotFound.
        """
        # Path and query, encoded once (spaces as '+', '+' as %2B): the URL and the cache key.
        query = urlencode(
            {name: value for name, value in (params or {}).items() if value is not None}
        )
        key = f"{path}?{query}" if query else path
        cached = self._cache.get(self.service_name, key)
        if isinstance(cached, ErrorBody):
            raise NotFound.from_body(cached)
        if cached is not None:
            return cached  # type: ignore[return-value]  # the same key always asks one type
        response = await self._call(key, route=route or path)
        version = response.headers.get(DATA_VERSION_HEADER)
        try:
            parsed = self._parse(response, path, answer)
        except NotFound as miss:
            self._cache.put(self.service_name, key, miss.body, version=version)
            raise
        self._cache.put(self.service_name, key, parsed, version=version)
        return parsed

    async def post_json(self, path: str, body: BaseModel, answer: type[Answer]) -> Answer:
        """POST `body` as JSON and parse the answer; never cached (a POST asks something new)."""
        return self._parse(await self._call(path, body=body), path, answer)

    def _parse(self, response: httpx.Response, path: str, answer: type[Answer]) -> Answer:
        if response.status_code in (404, 422):
            body = self._error_body(response)
            if body is None or body.code == UNKNOWN_ROUTE:
                # The route itself is missing (an older or wrong service), not a miss.
                raise UpstreamUnavailable(
                    f"The {self.service_name} does not serve {path} "
                    f"(status {response.status_code})."
                )
            raise (NotFound if response.status_code == 404 else InvalidParameter).from_body(body)
        if response.status_code == 503 and (body := self._error_body(response)) is not None:
            # The downstream says why in words (e.g. no model published): pass the cause on.
            raise UpstreamUnavailable(f"The {self.service_name} is unavailable: {body.detail}")
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The {self.service_name} answered with status {response.status_code}."
            )
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamUnavailable(
                f"The {self.service_name} answered {path} with a body the gateway cannot read."
            ) from exc

    async def is_ready(self) -> bool:
        """True when the service's own /readyz answers 200 in time."""
        try:
            response = await self._call("/readyz")
        except UpstreamUnavailable:
            return False
        return response.status_code == 200


class CatalogClient(DownstreamClient):
    """The catalog service's internal API (/v1)."""

    service_name = "catalog service"

    async def max_duration(
        self, *, year: int | None, platform: str | None, duration_type: str | None
    ) -> str:
        params = {"year": year, "platform": platform, "duration_type": duration_type}
        return (await self.get_json("/v1/max-duration", MaxDurationRead, params)).title

    async def score_count(self, *, platform: str, scored: int, year: int) -> int:
        params = {"platform": platform, "scored": scored, "year": year}
        return (await self.get_json("/v1/score-count", CountRead, params)).count

    async def count_platform(self, *, platform: str) -> int:
        return (await self.get_json("/v1/count-platform", CountRead, {"platform": platform})).count

    async def actor(self, *, platform: str, year: int) -> str:
        params = {"platform": platform, "year": year}
        return (await self.get_json("/v1/actor", ActorRead, params)).name

    async def country_production(
        self, *, kind: str, country: str, year: int
    ) -> CountryProductionRead:
        params = {"kind": kind, "country": country, "year": year}
        return await self.get_json("/v1/country-production", CountryProductionRead, params)

    async def contents(self, *, rating: str) -> int:
        return (await self.get_json("/v1/contents", CountRead, {"rating": rating})).count

    async def title(self, *, title_id: str) -> TitleRead:
        return await self.get_json(f"/v1/titles/{title_id}", TitleRead, route="/v1/titles/{id}")

    async def search_titles(
        self, *, query: str, limit: int, platforms: Sequence[str] | None = None
    ) -> list[TitleHit]:
        params = {"q": query, "limit": limit, "platform": platform_param(platforms)}
        answer = await self.get_json("/v1/titles/search", TitleSearchRead, params)
        return answer.results


class RecsysClient(DownstreamClient):
    """The recsys service's internal API (/v1)."""

    service_name = "recsys service"

    async def neighbours_by_title(
        self, *, title: str, k: int, filters: NeighbourFilters
    ) -> TitleNeighboursRead:
        params = {"title": title, "k": k, **filters.params()}
        return await self.get_json("/v1/neighbours", TitleNeighboursRead, params)

    async def neighbours_by_id(
        self, *, title_id: str, k: int, filters: NeighbourFilters
    ) -> MovieNeighboursRead:
        params = {"k": k, **filters.params()}
        path, route = f"/v1/neighbours/{title_id}", "/v1/neighbours/{id}"
        return await self.get_json(path, MovieNeighboursRead, params, route=route)

    async def taste(self, body: TasteRequest) -> TasteRead:
        return await self.post_json("/v1/taste", body, TasteRead)


def _unreachable(error: Exception) -> bool:
    """Whether a failed call found no service (refused, no such host) rather than a slow one:
    httpx-aiohttp reports a refused connection as `httpx.ConnectTimeout`, with aiohttp's
    connector error as its cause."""
    if isinstance(error.__cause__, aiohttp.ClientConnectorError):
        return True
    return not isinstance(error, (TimeoutError, httpx.TimeoutException))
