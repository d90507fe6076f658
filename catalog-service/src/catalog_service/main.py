"""The catalog service app: create_app() factory and the lifespan that loads the catalog once."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from contracts.observability import install_observability
from contracts.web import install_error_handlers
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from catalog_service.config import Settings
from catalog_service.index import CatalogIndex, load_index
from catalog_service.router import health_router, router

logger = logging.getLogger("catalog_service")


class State(TypedDict):
    index: CatalogIndex


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    """Load the catalog and precompute its tables once; the requests only look them up."""
    settings: Settings = app.state.settings
    started = time.perf_counter()
    # Reading parquet and building the tables blocks, so keep it off the event loop.
    index = await run_in_threadpool(load_index, settings.catalog_path)
    logger.info(
        "catalog %s loaded: %d rows, data version %s, in %.2fs",
        settings.catalog_path, index.rows, index.data_version, time.perf_counter() - started,
    )
    yield {"index": index}


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
    app.include_router(health_router)
    app.include_router(router)
    return app
