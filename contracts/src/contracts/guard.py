"""Guards every service runs before its app: shed load fast, drop expired work, bound bodies.

`RequestGuard` is pure ASGI and the outermost layer, so a refused request never reaches
routing, caches or the access log (it has its own warning line and
`http_requests_shed_total{reason}`):
- a body is read whole, within `body_timeout_seconds`, BEFORE the request counts as in flight:
  a client that promises a body and never sends it holds a socket, not a slot, and gets 408;
- one client (its address, or the header naming it behind a proxy) waits on at most
  `max_client_body_waits` unfinished bodies and has at most `max_client_in_flight` requests
  in flight -> 429 beyond, so one address cannot hold every slot;
- more than `max_in_flight` requests at once -> an immediate 503 with `Retry-After`, instead of
  a queue that grows while callers time out; while it sheds so, /readyz answers 503 (a process
  that refuses everything is not ready);
- `X-Request-Deadline` (unix seconds, set by the gateway on every downstream call) already past
  -> 503 without doing the work: the caller gave up, as after a stall;
- a body over `max_body_bytes` -> 413 (read at most that much, whatever Content-Length says);
- with an internal token set, a request without it -> 401 (the probes and /metrics excepted).
The comparison of deadlines assumes the hosts' clocks agree to well under the gateway's
downstream timeout (NTP does; the default timeout is 2 s).
"""

import asyncio
import contextlib
import hmac
import logging
import time
from collections import Counter as Tally
from collections.abc import Iterable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from pydantic import Field, SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.errors import ErrorBody, error_json
from contracts.settings import BaseServiceSettings

DEADLINE_HEADER = "X-Request-Deadline"
TOKEN_HEADER = "X-Internal-Token"
READY_PATH = "/readyz"
# Probes must answer under load (a shed liveness probe restarts a busy pod) and carry no token.
UNGUARDED_PATHS = frozenset({"/healthz", READY_PATH, "/metrics"})
# /readyz stays 503 this long after the last request shed for load: a probe that happens to
# land between two refusals must not call a shedding process ready.
SATURATION_MEMORY_SECONDS = 2.0

logger = logging.getLogger("contracts.guard")


class GuardSettings(BaseServiceSettings):
    """The guard's settings (the module docstring says what each bounds); each service's
    Settings derives from this class."""

    max_in_flight: int = Field(default=64, ge=1)
    # Unset: no per-client cap under max_in_flight.
    max_client_in_flight: int | None = Field(default=None, ge=1)
    max_client_body_waits: int = Field(default=16, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=0)
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    # Shared by the gateway (sends it) and the internal services (require it); unset: off.
    internal_token: SecretStr | None = None


# Why a request is refused: its status, the answer's `code` and a sentence.
Refusal = tuple[int, str, str]


class RequestGuard:
    """Pure ASGI; see the module docstring for what it refuses and why."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: GuardSettings,
        client_header: str | None,
        token: str | None,
        registry: CollectorRegistry,
    ) -> None:
        self.app = app
        self.max_in_flight = settings.max_in_flight
        self.max_client_in_flight = settings.max_client_in_flight or settings.max_in_flight
        self.max_client_body_waits = settings.max_client_body_waits
        self.max_body_bytes = settings.max_body_bytes
        self.body_timeout_seconds = settings.body_timeout_seconds
        self.client_header = client_header.lower().encode() if client_header else None
        self.token = token.encode() if token else None
        self.in_flight = 0
        self.client_in_flight: Tally[str] = Tally()
        self.client_body_waits: Tally[str] = Tally()
        self.last_overload = float("-inf")
        self.shed = Counter(
            "http_requests_shed_total",
            "Requests refused before the app ran.",
            ["reason"],
            registry=registry,
        )
        self.too_large: Refusal = (
            413,
            "body_too_large",
            f"The request body exceeds {self.max_body_bytes} bytes.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED_PATHS:
            if scope["type"] == "http" and scope["path"] == READY_PATH and self.saturated():
                at_once = f"{self.max_in_flight} in flight at once"
                detail = f"Not ready: the service is shedding requests ({at_once})."
                await self._refuse(send, scope, (503, "overloaded", detail), count=False)
            else:
                await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        client = client_of(scope, self.client_header)
        refusal = self._refusal(headers)
        has_body = b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"
        if refusal is None and has_body:
            refusal, body = await self._body(client, receive)
            receive = _replay(body, receive)
        if refusal is None and self.in_flight >= self.max_in_flight:
            self.last_overload = time.monotonic()
            busy = f"The service is handling {self.max_in_flight} requests at once"
            refusal = (503, "overloaded", f"{busy}; try again shortly.")
        elif refusal is None and self.client_in_flight[client] >= self.max_client_in_flight:
            busy = f"This client already has {self.max_client_in_flight} requests in flight"
            refusal = (429, "too_many_at_once", f"{busy}; wait for an answer before sending more.")
        if refusal is not None:
            await self._refuse(send, scope, refusal)
            return
        self.in_flight += 1
        self.client_in_flight[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            _release(self.client_in_flight, client)

    def saturated(self) -> bool:
        """Whether the guard is shedding for load now or was a moment ago."""
        return (
            self.in_flight >= self.max_in_flight
            or time.monotonic() - self.last_overload < SATURATION_MEMORY_SECONDS
        )

    def _refusal(self, headers: dict[bytes, bytes]) -> Refusal | None:
        if self.token is not None and not hmac.compare_digest(
            headers.get(TOKEN_HEADER.lower().encode(), b""), self.token
        ):
            return 401, "unauthorized", f"This internal service needs a valid {TOKEN_HEADER}."
        deadline = headers.get(DEADLINE_HEADER.lower().encode(), b"")
        with contextlib.suppress(ValueError):
            if float(deadline) < time.time():
                gone = "The caller's deadline passed before the request was served"
                return 503, "deadline_passed", f"{gone}; it was not started."
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return self.too_large
        return None

    async def _body(self, client: str, receive: Receive) -> tuple[Refusal | None, list[Message]]:
        """The body's messages, read within the deadline, or why the request is refused."""
        if self.client_body_waits[client] >= self.max_client_body_waits:
            waits = f"This client is already sending {self.max_client_body_waits} request bodies"
            detail = f"{waits} that have not arrived; finish those first."
            return (429, "too_many_unfinished_bodies", detail), []
        self.client_body_waits[client] += 1
        messages: list[Message] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout_seconds):
                while not messages or messages[-1].get("more_body", False):
                    messages.append(await receive())
                    size += len(messages[-1].get("body", b""))
                    if size > self.max_body_bytes:  # the rest is not read
                        return self.too_large, []
        except TimeoutError:
            late = f"The request body did not arrive within {self.body_timeout_seconds:g} s."
            return (408, "body_timeout", late), []
        finally:
            _release(self.client_body_waits, client)
        return None, messages

    async def _refuse(
        self, send: Send, scope: Scope, refusal: Refusal, *, count: bool = True
    ) -> None:
        status, code, detail = refusal
        if count:
            self.shed.labels(code).inc()
        logger.warning(
            "refused %s %s: %s",
            scope["method"],
            scope["path"],
            detail,
            extra={"fields": {"status": status, "reason": code}},
        )
        headers = []
        if status in (429, 503):
            headers.append((b"retry-after", b"1"))
        if status in (408, 413) or code == "too_many_unfinished_bodies":
            # The body is left unread: the connection cannot be reused.
            headers.append((b"connection", b"close"))
        await send_error(send, status, ErrorBody(code=code, detail=detail), headers)


def client_of(scope: Scope, header: bytes | None) -> str:
    """Who sent a request: the first value of `header` (set by a proxy in front), else the peer."""
    named: bytes = next((v for k, v in scope["headers"] if k == header), b"") if header else b""
    if named:
        return named.decode("latin-1").split(",")[0].strip()[:64]
    peer = scope.get("client")
    return str(peer[0]) if peer else "unknown"


async def send_error(
    send: Send, status: int, body: ErrorBody, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """An ErrorBody answer sent by a pure ASGI layer, outside FastAPI's handlers."""
    content = error_json(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def _release(tally: Tally[str], client: str) -> None:
    """One fewer for the client; a client at zero leaves the tally, which stays small."""
    tally[client] -= 1
    if tally[client] <= 0:
        del tally[client]


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive() that hands the app the body already read, then the server's own."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def install_guard(
    app: FastAPI, settings: GuardSettings, *, require_token: bool, client_header: str | None = None
) -> None:
    """Add the guard as the outermost layer: call it after install_observability.

    Internal services require the token (when set); the gateway sends it instead, and names
    its clients by `client_header` when a proxy in front sets one.
    """
    token = settings.internal_token if require_token else None
    app.add_middleware(
        RequestGuard,
        settings=settings,
        client_header=client_header,
        token=token.get_secret_value() if token else None,
        registry=app.state.metrics.registry,
    )
