"""Whole public answers cached per data version: a repeated question skips FastAPI's work too.

An answer is kept only when every downstream answer it was built from named its data version
(gateway.cache); a request whose answer leaned on a failure, an unversioned stand-in or no
downstream at all (health, metrics, docs, validation errors) is never kept. A kept answer is
served while it is younger than the TTL and every downstream still names the same version.
It sits inside the observability middleware, so a served copy still gets its request id,
access-log line and metrics, under the route that first answered it.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHED_STATUSES = (200, 404)


@dataclass
class CacheTicket:
    """What one request's answer was built from: each downstream's data version."""

    versions: dict[str, str] = field(default_factory=dict)
    cacheable: bool = True

    def used(self, downstream: str, version: str | None) -> None:
        """An answer of `downstream` at `version` went into this request's answer."""
        if version is None or self.versions.setdefault(downstream, version) != version:
            self.cacheable = False

    def failed(self) -> None:
        """A downstream failed; an answer made around the failure is not for keeping."""
        self.cacheable = False


# The ticket object is shared by reference, so tasks the request starts (asyncio.gather)
# write to the same one.
current_ticket: ContextVar[CacheTicket | None] = ContextVar("cache_ticket", default=None)


@dataclass(frozen=True, slots=True)
class _Kept:
    expires: float
    versions: dict[str, str]
    start: Message
    body: bytes
    route: Any


VersionsNow = Callable[[Scope], dict[str, str | None]]


class ResponseCache:
    """Pure ASGI: GET answers kept by path and query, at most `max_entries`, LRU."""

    def __init__(self, app: ASGIApp, *, ttl: float, max_entries: int,
                 versions_now: VersionsNow) -> None:
        self.app = app
        self.ttl = ttl
        self.max_entries = max_entries
        self.versions_now = versions_now
        self._kept: OrderedDict[bytes, _Kept] = OrderedDict()

    def _valid(self, kept: _Kept, scope: Scope) -> bool:
        if kept.expires <= time.monotonic():
            return False
        now = self.versions_now(scope)
        return all(now.get(name) == version for name, version in kept.versions.items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.ttl <= 0:
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        kept = self._kept.get(key)
        if kept is not None and self._valid(kept, scope):
            self._kept.move_to_end(key)
            scope["route"] = kept.route
            await send(kept.start)
            await send({"type": "http.response.body", "body": kept.body, "more_body": False})
            return
        ticket = CacheTicket()
        token = current_ticket.set(ticket)
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep_and_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep_and_send)
        finally:
            current_ticket.reset(token)
        if (start is not None and start["status"] in CACHED_STATUSES and ticket.cacheable
                and ticket.versions):
            self._kept[key] = _Kept(time.monotonic() + self.ttl, dict(ticket.versions),
                                    start, b"".join(chunks), scope.get("route"))
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
