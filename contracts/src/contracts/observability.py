"""Request ids, JSON log lines and Prometheus metrics, the same in every service."""

import functools
import logging
import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.redaction import redact_text

REQUEST_ID_HEADER = "X-Request-ID"
# The data (ETL run) or model version an answer came from: the gateway caches per version.
DATA_VERSION_HEADER = "X-Data-Version"
_DATA_VERSION_KEY = DATA_VERSION_HEADER.lower().encode()
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_ACCEPTED_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")

access_logger = logging.getLogger("access")
# FastAPI's native OpenTelemetry looks up global providers on every request (~5% of an
# internal request in py-spy); these services export Prometheus metrics and JSON logs instead.
NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line, carrying the service name and the current request id."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "request_id": request_id_var.get(),
            # A URL's credentials (REDIS_URL's password) never reach a log line.
            "message": redact_text(record.getMessage()),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = redact_text(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


def configure_logging(service: str, level: str = "info") -> None:
    """Route the root and uvicorn loggers through one JSON handler on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes the access line (with request id and latency) instead, and the
    # gateway's downstream calls are in its metrics: a line per httpx call is only noise.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)


class Metrics:
    """The service's own registry, so several apps in one test process do not collide.

    Requests are counted by prometheus_client's Counter and Histogram, their label children
    made once; a hand-kept count saved ~3 us a request (measured), not worth a copy of the
    library's exposition that must match it forever.
    """

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self._extra: dict[str, Histogram] = {}
        requests = Counter(
            "http_requests_total",
            "HTTP requests by route and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self._requests = functools.cache(functools.partial(requests.labels, service))
        self._latency = functools.cache(
            functools.partial(
                self.histogram(
                    "http_request_duration_seconds",
                    "HTTP request latency.",
                    ["service", "method", "route"],
                ).labels,
                service,
            )
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests(method, route, status).inc()
        self._latency(method, route).observe(seconds)

    def histogram(self, name: str, doc: str, labels: list[str]) -> Histogram:
        """A latency histogram of the service's own; asking twice returns the same one."""
        if name not in self._extra:
            self._extra[name] = Histogram(
                name, doc, labels, buckets=LATENCY_BUCKETS, registry=self.registry
            )
        return self._extra[name]

    def children(self, name: str, doc: str, labels: list[str]) -> Callable[..., Histogram]:
        """`histogram(...).labels`, each child made once: `labels()` locks and hashes per call."""
        return functools.cache(self.histogram(name, doc, labels).labels)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")[:128]
            if candidate and set(candidate) <= _ACCEPTED_ID_CHARS:
                return candidate
    # 128 random bits as 32 hex digits, ~5x cheaper than uuid4().hex.
    return os.urandom(16).hex()


# The data version a response names, from the request's scope (the lifespan state); None: none.
DataVersion = Callable[[Scope], str | None]


class ObservabilityMiddleware:
    """Pure ASGI, the one middleware of a service: request id, metrics, data version, logging.

    The gateway writes an access line per request (`access_log`); the internal services log
    only what needs a look: answers of 500 or more, and requests slower than `slow_seconds`,
    each with its request id, which the gateway's access line shares.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        *,
        access_log: bool = True,
        slow_seconds: float = 0.5,
        data_version: DataVersion | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.timer = timer
        self.metrics = metrics
        self.access_log = access_log
        self.slow_seconds = slow_seconds
        self.data_version = data_version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        started = self.timer()
        status = 500
        added = [(b"x-request-id", request_id.encode("latin-1"))]
        version = self.data_version(scope) if self.data_version is not None else None
        if version:
            added.append((_DATA_VERSION_KEY, version.encode("latin-1")))

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = self.timer() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.observe_request(method, route, status, elapsed)
            slow = elapsed >= self.slow_seconds
            if self.access_log or status >= 500 or slow:
                fields = {
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                }
                if not self.access_log:
                    fields["slow"] = slow
                access_logger.log(
                    logging.INFO if self.access_log else logging.WARNING,
                    "%s %s %s in %.1f ms",
                    method,
                    scope["path"],
                    status,
                    elapsed * 1000,
                    extra={"fields": fields},
                )
            request_id_var.reset(token)


def install_observability(
    app: FastAPI,
    *,
    service: str,
    log_level: str = "info",
    access_log: bool = True,
    slow_seconds: float = 0.5,
    data_version: DataVersion | None = None,
    metrics_route: bool = True,
    timer: Callable[[], float] = time.perf_counter,
) -> Metrics:
    """JSON logs, the one request-id/metrics/version middleware and /metrics; returns metrics.

    `metrics_route=False` leaves /metrics off the app (the gateway's METRICS_PORT serves it).
    """
    configure_logging(service, log_level)
    metrics = Metrics(service)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        access_log=access_log,
        slow_seconds=slow_seconds,
        data_version=data_version,
        timer=timer,
    )
    app.state.metrics = metrics
    if metrics_route:
        app.add_api_route("/metrics", metrics.render, include_in_schema=False)
    return metrics
