"""The catalog service app: create_app() factory and the lifespan that loads the catalog once."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.observability import DATA_VERSION_HEADER, install_observability
from contracts.web import install_error_handlers
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_service.config import Settings
from catalog_service.index import CatalogHolder, load_index, loaded_source
from catalog_service.router import health_router, router

logger = logging.getLogger("catalog_service")

# Every answer names the ETL run it came from, so a caller (the gateway) can cache answers per
# data version and drop them when the version changes.


class State(TypedDict):
    catalog: CatalogHolder


async def load(settings: Settings) -> CatalogHolder:
    """Read the catalog and precompute its tables, off the event loop (it blocks)."""
    started = time.perf_counter()
    source = loaded_source(settings.catalog_path)
    index = await run_in_threadpool(load_index, settings.catalog_path)
    logger.info("catalog %s loaded: %d rows, data version %s, in %.2fs", source, index.rows,
                index.data_version, time.perf_counter() - started)
    return CatalogHolder(index=index, source=source)


async def follow_new_runs(settings: Settings, holder: CatalogHolder) -> None:
    """Swap in the catalog of a new ETL run once CATALOG_PATH leads to it; keep the old on error."""
    while True:
        await asyncio.sleep(settings.catalog_reload_seconds)
        if loaded_source(settings.catalog_path) == holder.source:
            continue
        try:
            fresh = await load(settings)
        except Exception:  # a half-written or broken run must not take the service down
            logger.exception("new catalog at %s not loaded; still serving data version %s",
                             settings.catalog_path, holder.index.data_version)
            holder.source = loaded_source(settings.catalog_path)
            continue
        holder.index, holder.source = fresh.index, fresh.source


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """Load the catalog once and precompute its tables; the requests only look them up.

    With CATALOG_RELOAD_SECONDS > 0 a background task follows new ETL runs.
    """
    settings: Settings = app.state.settings
    holder = await load(settings)
    follower = (asyncio.create_task(follow_new_runs(settings, holder))
                if settings.catalog_reload_seconds > 0 else None)
    try:
        yield {"catalog": holder}
    finally:
        if follower is not None:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


class DataVersionHeader:
    """Pure ASGI: adds the loaded catalog's data version to every response once it is loaded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        holder = scope.get("state", {}).get("catalog") if scope["type"] == "http" else None
        if holder is None:
            await self.app(scope, receive, send)
            return
        index = holder.index
        header = (DATA_VERSION_HEADER.lower().encode(), index.data_version.encode("latin-1"))

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, send_with_version)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given (tests give them)."""
    app = FastAPI(
        title="catalog-service",
        version="1",
        summary="The six catalog queries and title lookups, answered from the ETL's catalog.",
        lifespan=lifespan,
    )
    app.state.settings = settings or Settings()  # type: ignore[call-arg]
    install_observability(app, service="catalog-service", log_level=app.state.settings.log_level)
    install_error_handlers(app)
    app.add_middleware(DataVersionHeader)
    app.include_router(health_router)
    app.include_router(router)
    return app
