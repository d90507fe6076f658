"""Clients of the internal services: one pooled httpx client each, failures mapped to errors."""

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlencode

import httpx
from contracts.api import (
    ActorRead,
    CountRead,
    CountryProductionRead,
    MaxDurationRead,
    MovieNeighboursRead,
    TasteRead,
    TitleHit,
    TitleNeighboursRead,
    TitleRead,
    TitleSearchRead,
)
from contracts.errors import (
    ErrorBody,
    InvalidParameter,
    NotFound,
    UpstreamUnavailable,
)
from contracts.guard import DEADLINE_HEADER, TOKEN_HEADER
from contracts.observability import (
    DATA_VERSION_HEADER,
    REQUEST_ID_HEADER,
    Metrics,
    request_id_var,
)
from contracts.web import UNKNOWN_ROUTE
from pydantic import BaseModel, ValidationError

from gateway.body import TasteRequest
from gateway.cache import AnswerCache
from gateway.config import Settings
from gateway.transport import AiohttpPoolTransport

Answer = TypeVar("Answer", bound=BaseModel)
# The body of every GET: empty, shared (httpx reads a ByteStream without consuming it).
_NO_BODY = httpx.ByteStream(b"")


def downstream_transport(settings: Settings) -> AiohttpPoolTransport:
    """The pooled transport of one downstream (httpx over aiohttp's pool, gateway.transport).

    On this project's 2-core benchmark httpx's own pool (httpcore) took most of the gateway's
    CPU per call.
    """
    return AiohttpPoolTransport(max_connections=settings.downstream_max_connections,
                                keepalive_expiry=settings.downstream_keepalive_expiry_seconds)


def build_http_client(base_url: str, settings: Settings,
                      transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The one long-lived httpx client for a downstream; the lifespan closes it (and its pool)."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport or downstream_transport(settings),
        timeout=httpx.Timeout(settings.downstream_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """What a downstream answered: status, body (read whole), and the data version it named."""

    status_code: int
    content: bytes
    version: str | None = None


# What the cache keeps per question: the parsed answer, or the body of a 404 to raise again.
Cached: TypeAlias = BaseModel | ErrorBody


class DownstreamMetrics:
    """Latency and outcome of every downstream call, labelled by service and route template."""

    def __init__(self, metrics: Metrics) -> None:
        self.latency = metrics.histogram(
            "downstream_request_duration_seconds", "Gateway calls to internal services.",
            ["downstream", "route", "outcome"])
        self._bound: dict[tuple[str, str, str], Any] = {}  # label children, bound once

    def observe(self, downstream: str, route: str, outcome: str, seconds: float) -> None:
        child = self._bound.get((downstream, route, outcome))
        if child is None:
            child = self._bound[(downstream, route, outcome)] = self.latency.labels(
                downstream, route, outcome)
        child.observe(seconds)


class DownstreamClient:
    """GET JSON from one internal service; every way it can fail becomes a ServiceError."""

    service_name = "downstream service"

    def __init__(self, http: httpx.AsyncClient, *, timeout_seconds: float,
                 metrics: DownstreamMetrics | None = None,
                 cache: AnswerCache[Cached] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 token: str | None = None) -> None:
        self._http = http
        # The internal services require the shared token when one is set (contracts.guard).
        self._token_header = {TOKEN_HEADER: token} if token else {}
        # Each call is one httpx.Request made from a prebuilt base URL, Host header and
        # timeout, handed straight to the pooled transport when the caller gives it:
        # client.get()'s request building (URL merging, default headers, cookies, auth and
        # redirect hooks) cost about 100 µs of CPU a call on the benchmark machine, as much as
        # the rest of the call. A GET is built with `stream=` (no body to encode): httpx's
        # content encoding and header preparation then cost nothing (the Host header they
        # would add is prebuilt here).
        self._send = transport.handle_async_request if transport is not None else http.send
        self._base_url = str(http.base_url).rstrip("/")
        self._host_header = {"Host": http.base_url.netloc.decode("ascii")}
        self._extensions = {"timeout": http.timeout.as_dict()}
        self._timeout = timeout_seconds
        self._metrics = metrics
        self._cache = cache

    @staticmethod
    def _target(path: str, params: Mapping[str, object] | None) -> str:
        """Path and query, encoded once (spaces as '+', '+' as %2B): the URL and the cache key."""
        query = urlencode({key: value for key, value in (params or {}).items()
                           if value is not None})
        return f"{path}?{query}" if query else path

    async def _get(self, path: str, params: Mapping[str, object] | None = None,
                   route: str | None = None, body: BaseModel | None = None) -> Reply:
        """GET (or, with a body, POST it as JSON) and read the whole answer, bounded in time."""
        # Sent as encoded here (the cache key), so the downstream reads what the gateway read.
        target = self._target(path, params)
        # The deadline lets a stalled service drop what the gateway has given up on.
        headers = {REQUEST_ID_HEADER: request_id_var.get(),
                   DEADLINE_HEADER: f"{time.time() + self._timeout:.3f}", **self._token_header}
        started = time.perf_counter()
        outcome = "error"
        try:
            # This bounds the whole call, so a server that trickles bytes cannot hold a
            # caller longer than the timeout either.
            async with asyncio.timeout(self._timeout):
                reply = await self._fetch(target, headers, body)
            outcome = str(reply.status_code)
            return reply
        except (TimeoutError, httpx.TimeoutException) as exc:
            # Our own deadline, or the transport's connect or read timeout: the service was
            # there (or might be) but did not answer in time. A refused connection is an
            # httpx.ConnectError (gateway.transport), never a timeout.
            outcome = "timeout"
            unit = "second" if self._timeout == 1 else "seconds"
            raise UpstreamUnavailable(
                f"The {self.service_name} did not answer within {self._timeout:g} {unit}."
            ) from exc
        except httpx.TransportError as exc:
            outcome = "unreachable"
            raise UpstreamUnavailable(f"The {self.service_name} cannot be reached.") from exc
        finally:
            if self._metrics is not None:
                self._metrics.observe(self.service_name, route or path, outcome,
                                      time.perf_counter() - started)

    async def _fetch(self, target: str, headers: dict[str, str],
                     body: BaseModel | None = None) -> Reply:
        """One GET (or POST of `body` as JSON) through the httpx API; transport failures raise
        httpx errors."""
        if body is None:
            request = httpx.Request("GET", self._base_url + target,
                                    headers={**self._host_header, **headers},
                                    stream=_NO_BODY, extensions=self._extensions)
        else:
            request = httpx.Request("POST", self._base_url + target,
                                    headers={**headers, "content-type": "application/json"},
                                    content=body.model_dump_json(), extensions=self._extensions)
        response = await self._send(request)
        return Reply(response.status_code, await response.aread(),
                     response.headers.get(DATA_VERSION_HEADER))

    def _error_body(self, response: Reply) -> ErrorBody | None:
        try:
            return ErrorBody.model_validate_json(response.content)
        except ValidationError:
            return None

    async def get_json(self, path: str, answer: type[Answer],
                       params: Mapping[str, object] | None = None,
                       route: str | None = None) -> Answer:
        """GET `path` and parse the answer; 404 and 422 carry the downstream's sentence.

        Answers and 404s that name their data version are kept (gateway.cache); a kept 404
        is raised again as the same NotFound.
        """
        key = self._target(path, params)
        cached = self._cache.get(self.service_name, key) if self._cache is not None else None
        if cached is not None:
            if isinstance(cached, ErrorBody):
                raise NotFound(cached.detail, parameter=cached.parameter,
                               accepted=cached.accepted, suggestions=cached.suggestions)
            return cached  # type: ignore[return-value]  # the same key always asks one type
        reply = await self._get(path, params, route)
        try:
            parsed = self._parse(reply, path, answer)
        except NotFound as miss:
            if self._cache is not None:
                self._cache.put(self.service_name, key, miss.body, version=reply.version)
            raise
        if self._cache is not None:
            self._cache.put(self.service_name, key, parsed, version=reply.version)
        return parsed

    async def post_json(self, path: str, body: BaseModel, answer: type[Answer]) -> Answer:
        """POST `body` as JSON and parse the answer; never cached (a POST asks something new)."""
        return self._parse(await self._get(path, body=body), path, answer)

    def _parse(self, response: Reply, path: str, answer: type[Answer]) -> Answer:
        if response.status_code in (404, 422):
            body = self._error_body(response)
            if body is None or body.code == UNKNOWN_ROUTE:
                # The route itself is missing (an older or wrong service), not a miss.
                raise UpstreamUnavailable(
                    f"The {self.service_name} does not serve {path} "
                    f"(status {response.status_code})."
                )
            if response.status_code == 404:
                raise NotFound(body.detail, parameter=body.parameter, accepted=body.accepted,
                               suggestions=body.suggestions)
            raise InvalidParameter(body.detail, parameter=body.parameter, accepted=body.accepted)
        if response.status_code == 503 and (body := self._error_body(response)) is not None:
            # The downstream says why in words (e.g. no model published): pass the cause on.
            raise UpstreamUnavailable(f"The {self.service_name} is unavailable: {body.detail}")
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The {self.service_name} answered with status {response.status_code}.")
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamUnavailable(
                f"The {self.service_name} answered {path} with a body the gateway cannot read."
            ) from exc

    async def is_ready(self) -> bool:
        """True when the service's own /readyz answers 200 in time."""
        try:
            response = await self._get("/readyz")
        except UpstreamUnavailable:
            return False
        return response.status_code == 200


class CatalogClient(DownstreamClient):
    """The catalog service's internal API (/v1)."""

    service_name = "catalog service"

    async def max_duration(self, *, year: int | None, platform: str | None,
                           duration_type: str | None) -> str:
        params = {"year": year, "platform": platform, "duration_type": duration_type}
        return (await self.get_json("/v1/max-duration", MaxDurationRead, params)).title

    async def score_count(self, *, platform: str, scored: int, year: int) -> int:
        params = {"platform": platform, "scored": scored, "year": year}
        return (await self.get_json("/v1/score-count", CountRead, params)).count

    async def count_platform(self, *, platform: str) -> int:
        return (await self.get_json("/v1/count-platform", CountRead,
                                    {"platform": platform})).count

    async def actor(self, *, platform: str, year: int) -> str:
        params = {"platform": platform, "year": year}
        return (await self.get_json("/v1/actor", ActorRead, params)).name

    async def country_production(self, *, kind: str, country: str,
                                 year: int) -> CountryProductionRead:
        params = {"kind": kind, "country": country, "year": year}
        return await self.get_json("/v1/country-production", CountryProductionRead, params)

    async def contents(self, *, rating: str) -> int:
        return (await self.get_json("/v1/contents", CountRead, {"rating": rating})).count

    async def title(self, *, title_id: str) -> TitleRead:
        return await self.get_json(f"/v1/titles/{title_id}", TitleRead, route="/v1/titles/{id}")

    async def search_titles(self, *, query: str, limit: int,
                            platforms: Sequence[str] | None = None) -> list[TitleHit]:
        params = {"q": query, "limit": limit, "platform": _joined(platforms)}
        answer = await self.get_json("/v1/titles/search", TitleSearchRead, params)
        return answer.results


class RecsysClient(DownstreamClient):
    """The recsys service's internal API (/v1)."""

    service_name = "recsys service"

    async def neighbours_by_title(self, *, title: str, k: int,
                                  platforms: Sequence[str] | None = None,
                                  kind: str | None = None,
                                  year: int | None = None) -> TitleNeighboursRead:
        params = {"title": title, "k": k, "platform": _joined(platforms), "type": kind,
                  "year": year}
        return await self.get_json("/v1/neighbours", TitleNeighboursRead, params)

    async def neighbours_by_id(self, *, title_id: str, k: int,
                               platforms: Sequence[str] | None = None) -> MovieNeighboursRead:
        return await self.get_json(f"/v1/neighbours/{title_id}", MovieNeighboursRead,
                                   {"k": k, "platform": _joined(platforms)},
                                   route="/v1/neighbours/{id}")

    async def taste(self, body: TasteRequest) -> TasteRead:
        return await self.post_json("/v1/taste", body, TasteRead)


def _joined(platforms: Sequence[str] | None) -> str | None:
    """Platforms as one comma-separated parameter (both internal services accept it)."""
    return ",".join(sorted(platforms)) if platforms else None
