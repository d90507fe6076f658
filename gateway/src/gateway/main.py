"""The gateway application: `uvicorn --factory gateway.main:create_app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.guard import install_guard
from contracts.observability import install_observability
from contracts.web import install_error_handlers
from fastapi import FastAPI
from starlette.types import Scope

from gateway.cache import AnswerCache
from gateway.clients import (
    Cached,
    CatalogClient,
    DownstreamMetrics,
    RecsysClient,
    build_http_client,
)
from gateway.config import Settings
from gateway.health import ready_gauge
from gateway.page import install_page
from gateway.response_cache import ResponseCache
from gateway.router import router


class State(TypedDict):
    catalog_client: CatalogClient
    recsys_client: RecsysClient


def answer_cache(settings: Settings) -> AnswerCache[Cached] | None:
    """One cache per downstream (each names its own data version); None when turned off."""
    if settings.downstream_cache_seconds <= 0:
        return None
    return AnswerCache(ttl=settings.downstream_cache_seconds,
                       max_entries=settings.downstream_cache_entries)


def downstream_versions(scope: Scope) -> dict[str, str | None]:
    """The data version each downstream's cache holds now, from the lifespan state."""
    state = scope.get("state", {})
    clients = [state.get("catalog_client"), state.get("recsys_client")]
    return {c.service_name: c.cache_version for c in clients if c is not None}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """One pooled httpx client per downstream for the life of the process, closed on the way out."""
    settings: Settings = app.state.settings
    timeout = settings.downstream_timeout_seconds
    metrics: DownstreamMetrics = app.state.downstream_metrics
    async with (
        build_http_client(str(settings.catalog_service_url), settings) as catalog_http,
        build_http_client(str(settings.recsys_service_url), settings) as recsys_http,
    ):
        yield {
            "catalog_client": CatalogClient(catalog_http, timeout_seconds=timeout, metrics=metrics,
                                            cache=answer_cache(settings)),
            "recsys_client": RecsysClient(recsys_http, timeout_seconds=timeout, metrics=metrics,
                                          cache=answer_cache(settings)),
        }


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; without `settings` they come from the environment (missing URL: no start)."""
    app = FastAPI(
        title="Streaming catalog gateway",
        version="1.0.0",
        description="The public API: catalog queries over four streaming platforms, "
                    "and movie recommendations.",
        lifespan=lifespan,
    )
    app.state.settings = settings if settings is not None else Settings()  # type: ignore[call-arg]
    # Added before observability, so it runs inside it: a kept answer still gets its request
    # id, log line and metrics.
    app.add_middleware(ResponseCache, ttl=app.state.settings.downstream_cache_seconds,
                       max_entries=app.state.settings.downstream_cache_entries,
                       versions_now=downstream_versions)
    metrics = install_observability(app, service="gateway", log_level=app.state.settings.log_level)
    # Registered once per app (not per lifespan), so a restarted lifespan does not re-register.
    app.state.downstream_metrics = DownstreamMetrics(metrics)
    app.state.downstream_ready = ready_gauge(metrics)
    install_error_handlers(app)
    install_guard(app, app.state.settings, require_token=False)
    app.include_router(router)
    install_page(app)
    return app
