"""Request ids, JSON log lines and Prometheus metrics, the same in every service."""

import json
import logging
import time
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Catalog and recsys answers name the data (ETL run) or model version they came from, so the
# gateway can keep answers per version (gateway.cache).
DATA_VERSION_HEADER = "X-Data-Version"
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_ACCEPTED_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")

access_logger = logging.getLogger("access")


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
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


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
    """The service's own registry, so several apps in one test process do not collide."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests by route and status.",
                                ["service", "method", "route", "status"], registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency.",
                                 ["service", "method", "route"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.service = service
        self._extra: dict[str, Histogram] = {}

    def histogram(self, name: str, doc: str, labels: list[str]) -> Histogram:
        """A latency histogram of the service's own; asking twice returns the same one."""
        if name not in self._extra:
            self._extra[name] = Histogram(name, doc, labels, buckets=LATENCY_BUCKETS,
                                          registry=self.registry)
        return self._extra[name]

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")[:128]
            if candidate and set(candidate) <= _ACCEPTED_ID_CHARS:
                return candidate
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Pure ASGI (cheaper than BaseHTTPMiddleware): request id, access log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(self.metrics.service, method, route, str(status)).inc()
            self.metrics.latency.labels(self.metrics.service, method, route).observe(elapsed)
            access_logger.info("%s %s %s", method, scope["path"], status, extra={"fields": {
                "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 3)}})
            request_id_var.reset(token)


def install_observability(app: FastAPI, *, service: str, log_level: str = "info") -> Metrics:
    """JSON logs, the request-id/metrics middleware and a /metrics route; returns the registry."""
    configure_logging(service, log_level)
    metrics = Metrics(service)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return metrics.render()

    return metrics
