"""The recsys service app: `uvicorn --factory recsys_service.main:create_app`."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.docs import install_docs
from contracts.guard import install_guard
from contracts.observability import NO_NATIVE_TELEMETRY, install_observability
from contracts.web import install_error_handlers
from fastapi import FastAPI

from recsys_service.clients import NeighbourStore
from recsys_service.config import Settings
from recsys_service.router import health_router, router

logger = logging.getLogger("recsys_service")


class State(TypedDict):
    store: NeighbourStore


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """One pooled Redis client for the process, closed on the way out; start-up does not wait
    for Redis (503 while it is away, /readyz tells)."""
    settings: Settings = app.state.settings
    store = NeighbourStore.from_settings(settings, metrics=app.state.metrics)
    logger.info("reading recommendations under key prefix %r", settings.redis_key_prefix)
    try:
        yield {"store": store}
    finally:
        await store.aclose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given (tests give them)."""
    app = FastAPI(
        title="recsys-service",
        version="1",
        summary="Precomputed movie neighbours, read from the versioned layout in Redis.",
        lifespan=lifespan,
        telemetry=NO_NATIVE_TELEMETRY,
        docs_url=None,
        redoc_url=None,  # contracts.docs serves them without a CDN
    )
    install_docs(app)
    settings = settings if settings is not None else Settings()
    app.state.settings = settings
    install_observability(
        app,
        service="recsys-service",
        log_level=settings.log_level,
        access_log=False,
        slow_seconds=settings.slow_request_seconds,
    )
    install_error_handlers(app)
    install_guard(app, app.state.settings, require_token=True)
    app.include_router(health_router)
    app.include_router(router)
    return app
