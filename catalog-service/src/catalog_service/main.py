"""The catalog service app: create_app() factory and the lifespan that loads the catalog once."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.web import internal_app
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.types import Scope

from catalog_service.config import Settings
from catalog_service.index import CatalogHolder, load_index
from catalog_service.router import health_router, router
from catalog_service.service import SearchCache

logger = logging.getLogger("catalog_service")


class State(TypedDict):
    catalog: CatalogHolder
    search_cache: SearchCache


async def load(settings: Settings) -> CatalogHolder:
    """Read the catalog and precompute its tables, off the event loop (it blocks)."""
    started = time.perf_counter()
    source = settings.catalog_path.resolve()  # through the `current` symlink: one run's files
    index = await run_in_threadpool(load_index, settings.catalog_path)
    logger.info(
        "catalog %s loaded: %d rows, data version %s, in %.2fs",
        source,
        index.rows,
        index.data_version,
        time.perf_counter() - started,
    )
    return CatalogHolder(index=index, source=source)


# What the follower waits with between checks: asyncio.sleep, or a test's hand-stepped clock.
Wait = Callable[[float], Awaitable[None]]


async def follow_new_runs(settings: Settings, holder: CatalogHolder, wait: Wait) -> None:
    """Swap in the catalog of a new ETL run once CATALOG_PATH leads to it; keep the old on error."""
    while True:
        await wait(settings.catalog_reload_seconds)
        if settings.catalog_path.resolve() == holder.source:
            continue
        try:
            fresh = await load(settings)
        except Exception:  # a half-written or broken run must not take the service down
            logger.exception(
                "new catalog at %s not loaded; still serving data version %s",
                settings.catalog_path,
                holder.index.data_version,
            )
            holder.source = settings.catalog_path.resolve()
            continue
        holder.index, holder.source = fresh.index, fresh.source


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """Load the catalog once and precompute its tables; the requests only look them up.

    With CATALOG_RELOAD_SECONDS > 0 a background task follows new ETL runs.
    """
    settings: Settings = app.state.settings
    holder = await load(settings)
    follower = (
        asyncio.create_task(follow_new_runs(settings, holder, app.state.reload_wait))
        if settings.catalog_reload_seconds > 0
        else None
    )
    try:
        yield {
            "catalog": holder,
            "search_cache": SearchCache(max_entries=settings.search_cache_entries),
        }
    finally:
        if follower is not None:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def data_version(scope: Scope) -> str | None:
    """The loaded catalog's ETL run, named on every answer (None until it is loaded)."""
    holder = scope.get("state", {}).get("catalog")
    return holder.index.data_version if holder is not None else None


def create_app(settings: Settings | None = None, *, reload_wait: Wait = asyncio.sleep) -> FastAPI:
    """Build the app; settings come from the environment unless given (tests give them)."""
    app = internal_app(
        title="catalog-service",
        summary="The six catalog queries and title lookups, answered from the ETL's catalog.",
        lifespan=lifespan,
        settings=settings or Settings(),
        routers=(health_router, router),
        data_version=data_version,
    )
    app.state.reload_wait = reload_wait
    return app
