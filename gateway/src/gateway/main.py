"""The gateway application: `uvicorn --factory gateway.main:create_app`."""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.docs import install_docs
from contracts.guard import install_guard
from contracts.observability import NO_NATIVE_TELEMETRY, install_observability
from contracts.web import install_error_handlers
from fastapi import FastAPI
from prometheus_client import start_http_server

from gateway.cache import AnswerCache
from gateway.clients import (
    Cached,
    CatalogClient,
    DownstreamLatency,
    RecsysClient,
    build_http_client,
)
from gateway.config import Settings
from gateway.health import ready_gauge
from gateway.page import install_page
from gateway.ratelimit import install_rate_limit
from gateway.router import router
from gateway.security import SecurityHeaders


class State(TypedDict):
    catalog_client: CatalogClient
    recsys_client: RecsysClient


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """One pooled httpx client per downstream for the life of the process, closed on the way out."""
    settings: Settings = app.state.settings
    timeout = settings.downstream_timeout_seconds
    latency: DownstreamLatency = app.state.downstream_latency
    cache: AnswerCache[Cached] = app.state.answer_cache
    # /metrics on a listener of its own (prometheus_client's), off the public port.
    exporter = (
        start_http_server(settings.metrics_port, registry=app.state.metrics.registry)
        if settings.metrics_port is not None
        else None
    )
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    try:
        async with (
            build_http_client(str(settings.catalog_service_url), settings) as catalog_http,
            build_http_client(str(settings.recsys_service_url), settings) as recsys_http,
        ):
            yield {
                "catalog_client": CatalogClient(
                    catalog_http, timeout_seconds=timeout, latency=latency, cache=cache, token=token
                ),
                "recsys_client": RecsysClient(
                    recsys_http, timeout_seconds=timeout, latency=latency, cache=cache, token=token
                ),
            }
    finally:
        if exporter is not None:
            exporter[0].shutdown()
            exporter[0].server_close()


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """Build the app; without `settings` they come from the environment (missing URL: no start)."""
    settings = settings if settings is not None else Settings()
    docs = settings.docs_enabled
    app = FastAPI(
        title="Streaming catalog gateway",
        version="1.0.0",
        description="The public API: catalog queries over four streaming platforms, "
        "and movie recommendations.",
        lifespan=lifespan,
        telemetry=NO_NATIVE_TELEMETRY,
        docs_url=None,
        redoc_url=None,  # contracts.docs serves them without a CDN
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        install_docs(app)
    app.state.settings = settings
    # One cache for both downstreams, made here so a test can give it a clock of its own.
    app.state.answer_cache = AnswerCache(
        ttl=settings.downstream_cache_seconds,
        max_entries=settings.downstream_cache_entries,
        timer=clock,
    )
    install_rate_limit(app, settings)
    metrics = install_observability(
        app,
        service="gateway",
        log_level=settings.log_level,
        metrics_route=settings.metrics_port is None,
    )
    # Registered once per app (not per lifespan), so a restarted lifespan does not re-register.
    app.state.downstream_latency = metrics.children(
        "downstream_request_duration_seconds",
        "Gateway calls to internal services.",
        ["downstream", "route", "outcome"],
    )
    app.state.downstream_ready = ready_gauge(metrics)
    install_error_handlers(app)
    install_guard(
        app, settings, require_token=False, client_header=settings.rate_limit_client_header
    )
    app.add_middleware(SecurityHeaders)
    app.include_router(router)
    install_page(app)
    return app
