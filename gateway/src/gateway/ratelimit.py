"""Per-client rate limiting of the public API (the `limits` library), 429 with Retry-After.

A request spends 1 on arrival (the RateLimit middleware), then more where the work is dearer,
through its RateBudget before that work starts: each liked title past the first
(RATE_LIMIT_TITLE_COST), each fuzzy suggestion search (RATE_LIMIT_SEARCH_COST). So a client at
its limit costs the services about the same whatever it asks.

Counters live in the process unless RATE_LIMIT_REDIS_URL shares them between replicas; if
that Redis fails, requests pass (logged, counted): a limiter outage is not an API outage.
"""

import logging
import math
import time

from contracts.errors import RateLimited
from contracts.guard import client_of, send_error
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
BUDGET_STATE = "rate_budget"


class RateLimit:
    """Pure ASGI: a request spends 1 token of every rule, else 429 with the seconds to wait;
    the routes find its RateBudget for the rest in request.state."""

    def __init__(self, app: ASGIApp, *, settings: Settings, state: State) -> None:
        self.app = app
        self.rules = parse_many(settings.rate_limit)
        redis = settings.rate_limit_redis_url
        storage: Storage = MemoryStorage()
        self.storage_name = "memory"
        if redis:  # redis-py's asyncio client
            url = redis.get_secret_value()
            storage = RedisStorage(
                url.replace("redis://", "async+redis://", 1).replace(
                    "rediss://", "async+rediss://", 1
                ),
                implementation="redispy",
                socket_timeout=0.2,
                socket_connect_timeout=0.2,
            )
            self.storage_name = f"Redis ({redact_text(url)})"
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.title_cost = settings.rate_limit_title_cost
        self.search_cost = settings.rate_limit_search_cost
        header = settings.rate_limit_client_header
        self.client_header = header.lower().encode() if header else None
        self._warned = 0.0
        # The stack is built at the first request, once install_observability made the registry.
        registry = state.metrics.registry
        self.limited = Counter(
            "gateway_rate_limited_total", "Requests refused with a 429.", registry=registry
        )
        self.failures = Counter(
            "gateway_rate_limit_storage_errors_total",
            "Rate-limit checks that passed because storage failed.",
            registry=registry,
        )

    async def spend(self, client: str, cost: int) -> None:
        """Take `cost` tokens from every rule, or raise RateLimited naming the first that
        refused and when to retry."""
        for rule in self.rules:
            try:
                allowed = await self.limiter.hit(rule, "gateway", client, cost=cost)
            except Exception as exc:  # the storage (Redis) failed: let the request through
                self._storage_failed(exc)
                return
            if not allowed:
                raise await self._refusal(rule, client, cost)

    async def _refusal(self, rule: RateLimitItem, client: str, cost: int) -> RateLimited:
        try:
            stats = await self.limiter.get_window_stats(rule, "gateway", client)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            wait = rule.get_expiry()
        self.limited.inc()
        spent = "requests" if cost == 1 else f"requests ({cost} for this one)"
        return RateLimited(
            f"More than {rule} {spent} from this client; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )

    def _storage_failed(self, exc: Exception) -> None:
        self.failures.inc()
        now = time.monotonic()
        if now - self._warned >= STORAGE_WARNING_SECONDS:
            self._warned = now
            logger.warning(
                "rate limiting is off while its %s storage fails: %s",
                self.storage_name,
                type(exc).__name__,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or path in UNLIMITED_PATHS
            or path.startswith(UNLIMITED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        client = client_of(scope, self.client_header)
        try:
            await self.spend(client, 1)
        except RateLimited as refused:
            headers = [
                (name.lower().encode(), value.encode()) for name, value in refused.headers.items()
            ]
            await send_error(send, refused.status_code, refused.body, headers)
            return
        # A state of this request's own: a server or test client may share one between requests.
        scope = {
            **scope,
            "state": {**scope.get("state", {}), BUDGET_STATE: RateBudget(self, client)},
        }
        await self.app(scope, receive, send)


class RateBudget:
    """What one request may still spend of its client's limits; without limits, anything."""

    def __init__(self, limits: RateLimit | None = None, client: str = "") -> None:
        self._limits = limits
        self._client = client

    async def spend_on_titles(self, count: int) -> None:
        """Pay for `count` more liked titles (RATE_LIMIT_TITLE_COST each), or 429."""
        if self._limits is not None and count > 0:
            await self._limits.spend(self._client, count * self._limits.title_cost)

    async def spend_on_searches(self, count: int) -> None:
        """Pay for `count` fuzzy suggestion searches (RATE_LIMIT_SEARCH_COST each), or 429."""
        if self._limits is not None and count > 0:
            await self._limits.spend(self._client, count * self._limits.search_cost)


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """Add the limiter; call it before install_observability, so a 429 is logged and counted."""
    if not settings.rate_limit:
        return
    app.add_middleware(RateLimit, settings=settings, state=app.state)
