"""The recsys service app: `uvicorn --factory recsys_service.main:create_app`."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.web import internal_app
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
    return internal_app(
        title="recsys-service",
        summary="Precomputed movie neighbours, read from the versioned layout in Redis.",
        lifespan=lifespan,
        settings=settings or Settings(),
        routers=(health_router, router),
    )
