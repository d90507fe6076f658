"""Per-client rate limiting of the public API (the `limits` library), 429 with Retry-After.

The counters live in the process (`MemoryStorage`) unless RATE_LIMIT_REDIS_URL is set, then
in Redis, shared by every gateway replica. The sliding-window counter costs one or two
counter updates per request and has no burst at window edges. A client is its TCP peer, or
the value of RATE_LIMIT_CLIENT_HEADER when a proxy in front names it (`x-real-ip` behind
ingress-nginx; never trust such a header when clients reach the gateway directly).
If the Redis holding the counters fails, requests pass (logged, counted): a limiter outage
must not become an API outage.
"""

import logging
import math
import time

from contracts.redaction import redact_text
from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import Counter
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import Settings

logger = logging.getLogger("gateway.ratelimit")
# Probes, metrics and the page's static files are not API calls.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/favicon.ico"})
UNLIMITED_PREFIXES = ("/static/",)
# At most one warning this often while the counters' storage is failing.
STORAGE_WARNING_SECONDS = 10.0


def storage_for(settings: Settings) -> Storage:
    """Counters in Redis when RATE_LIMIT_REDIS_URL is set (redis-py's asyncio), else in memory."""
    if settings.rate_limit_redis_url:
        url = settings.rate_limit_redis_url.get_secret_value()
        return RedisStorage(url.replace("redis://", "async+redis://", 1)
                            .replace("rediss://", "async+rediss://", 1),
                            implementation="redispy", socket_timeout=0.2,
                            socket_connect_timeout=0.2)
    return MemoryStorage()


class RateLimit:
    """Pure ASGI: every rule must admit the request, else 429 with the seconds to wait."""

    def __init__(self, app: ASGIApp, *, rules: list[RateLimitItem], storage: Storage,
                 client_header: str | None, state: State | None = None,
                 storage_name: str = "memory") -> None:
        # Built with the middleware stack (first request), after /metrics' registry exists.
        metrics = getattr(state, "metrics", None)
        registry = metrics.registry if metrics is not None else None
        self.app = app
        self.rules = rules
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.client_header = client_header.lower().encode() if client_header else None
        self.storage_name = storage_name
        self._warned = 0.0
        self.limited = Counter("gateway_rate_limited_total", "Requests refused with a 429.",
                               registry=registry) if registry is not None else None
        self.failures = Counter("gateway_rate_limit_storage_errors_total",
                                "Rate-limit checks that passed because storage failed.",
                                registry=registry) if registry is not None else None

    def _client(self, scope: Scope) -> str:
        if self.client_header is not None:
            for name, value in scope["headers"]:
                if name == self.client_header:
                    return value.decode("latin-1").split(",")[0].strip()[:64]
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or path in UNLIMITED_PATHS
                or path.startswith(UNLIMITED_PREFIXES)):
            await self.app(scope, receive, send)
            return
        client = self._client(scope)
        for rule in self.rules:
            try:
                allowed = await self.limiter.hit(rule, "gateway", client)
            except Exception as exc:  # the storage (Redis) failed: let the request through
                self._storage_failed(exc)
                break
            if not allowed:
                await self._refuse(send, rule, client)
                return
        await self.app(scope, receive, send)

    def _storage_failed(self, exc: Exception) -> None:
        if self.failures is not None:
            self.failures.inc()
        now = time.monotonic()
        if now - self._warned >= STORAGE_WARNING_SECONDS:
            self._warned = now
            logger.warning("rate limiting is off while its %s storage fails: %s",
                           self.storage_name, type(exc).__name__)

    async def _refuse(self, send: Send, rule: RateLimitItem, client: str) -> None:
        try:
            stats = await self.limiter.get_window_stats(rule, "gateway", client)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            wait = rule.get_expiry()
        if self.limited is not None:
            self.limited.inc()
        body = (f'{{"code":"rate_limited","detail":"More than {rule} requests from this '
                f'client; retry in {wait} s."}}').encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode())]})
        await send({"type": "http.response.body", "body": body})


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """Add the limiter; call it before install_observability, so a 429 is logged and counted."""
    if not settings.rate_limit:
        return
    redis = settings.rate_limit_redis_url
    app.add_middleware(RateLimit, rules=parse_many(settings.rate_limit),
                       storage=storage_for(settings),
                       client_header=settings.rate_limit_client_header, state=app.state,
                       storage_name=f"Redis ({redact_text(redis.get_secret_value())})" if redis
                       else "memory")
