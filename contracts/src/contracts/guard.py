"""Guards every service runs before its app: shed load fast, drop expired work, bound bodies.

`RequestGuard` is pure ASGI and the outermost layer, so a refused request costs a few header
lookups and never reaches routing, caches or the access log (it has its own warning line and
`http_requests_shed_total{reason}`):
- more than `max_in_flight` requests at once -> an immediate 503 with `Retry-After`, instead of
  a queue that grows while callers time out;
- `X-Request-Deadline` (unix seconds, set by the gateway on every downstream call) already past
  -> 503 without doing the work: the caller gave up, as after a stall;
- a body over `max_body_bytes` -> 413 (read at most that much, whatever Content-Length says);
- with an internal token set, a request without it -> 401 (the probes and /metrics excepted).
The comparison of deadlines assumes the hosts' clocks agree to well under the gateway's
downstream timeout (NTP does; the default timeout is 2 s).
"""

import hmac
import json
import logging
import time
from collections.abc import Iterable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from pydantic import Field, SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.settings import BaseServiceSettings

DEADLINE_HEADER = "X-Request-Deadline"
TOKEN_HEADER = "X-Internal-Token"
# Probes must answer under load (a shed liveness probe restarts a busy pod) and carry no token.
UNGUARDED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

logger = logging.getLogger("contracts.guard")


class GuardSettings(BaseServiceSettings):
    """The guard's settings; each service's Settings derives from this class."""

    # Requests handled at once before new ones get a fast 503 (each service sets its default).
    max_in_flight: int = Field(default=64, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=0)
    # Shared by the gateway (sends it) and the internal services (require it); unset: off.
    internal_token: SecretStr | None = None


class RequestGuard:
    """Pure ASGI; see the module docstring for what it refuses and why."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, max_body_bytes: int,
                 token: str | None = None, registry: CollectorRegistry | None = None,
                 unguarded: Iterable[str] = UNGUARDED_PATHS) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_body_bytes = max_body_bytes
        self.token = token.encode() if token else None
        self.unguarded = frozenset(unguarded)
        self.in_flight = 0
        self.shed = Counter("http_requests_shed_total", "Requests refused before the app ran.",
                            ["reason"], registry=registry) if registry is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.unguarded:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = self._refusal(headers)
        if refusal is not None:
            await self._refuse(send, scope, *refusal)
            return
        self.in_flight += 1
        try:
            if self._may_have_body(headers):
                body = await self._read_body(receive)
                if body is None:
                    await self._refuse(send, scope, 413, "body_too_large",
                                       f"The request body exceeds {self.max_body_bytes} bytes.")
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _refusal(self, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        if self.token is not None and not hmac.compare_digest(
                headers.get(TOKEN_HEADER.lower().encode(), b""), self.token):
            return 401, "unauthorized", f"This internal service needs a valid {TOKEN_HEADER}."
        deadline = headers.get(DEADLINE_HEADER.lower().encode())
        if deadline is not None:
            try:
                expired = float(deadline) < time.time()
            except ValueError:
                expired = False
            if expired:
                return 503, "deadline_passed", ("The caller's deadline passed before the "
                                                "request was served; it was not started.")
        if self.in_flight >= self.max_in_flight:
            return 503, "overloaded", (f"The service is handling {self.max_in_flight} requests "
                                       "at once; try again shortly.")
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return 413, "body_too_large", f"The request body exceeds {self.max_body_bytes} bytes."
        return None

    @staticmethod
    def _may_have_body(headers: dict[bytes, bytes]) -> bool:
        return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"

    async def _read_body(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None once it grows past the bound (the rest is not read)."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages

    async def _refuse(self, send: Send, scope: Scope, status: int, code: str,
                      detail: str) -> None:
        if self.shed is not None:
            self.shed.labels(code).inc()
        logger.warning("refused %s %s: %s", scope["method"], scope["path"], detail,
                       extra={"fields": {"status": status, "reason": code}})
        body = json.dumps({"code": code, "detail": detail}).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        if status == 413:  # the body is left unread: the connection cannot be reused
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive() that hands the app the body already read, then the server's own."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def install_guard(app: FastAPI, settings: GuardSettings, *, require_token: bool) -> None:
    """Add the guard as the outermost layer: call it after install_observability.

    Internal services require the token (when set); the gateway sends it instead.
    """
    token = settings.internal_token if require_token else None
    metrics = getattr(app.state, "metrics", None)
    app.add_middleware(RequestGuard, max_in_flight=settings.max_in_flight,
                       max_body_bytes=settings.max_body_bytes,
                       token=token.get_secret_value() if token else None,
                       registry=metrics.registry if metrics is not None else None)
