"""Annotated dependencies the routes declare."""

from typing import Annotated

from contracts.errors import UpstreamUnavailable
from fastapi import Depends, Request

from catalog_service.index import CatalogIndex
from catalog_service.service import SearchCache


async def get_index(request: Request) -> CatalogIndex:
    """The index currently loaded (the lifespan's holder; a new ETL run swaps it in).

    `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    hop per request that cost more than the whole lookup.
    """
    holder = getattr(request.state, "catalog", None)
    if holder is None:
        raise UpstreamUnavailable("The catalog is not loaded yet.")
    return holder.index


CatalogIndexDep = Annotated[CatalogIndex, Depends(get_index)]


async def get_search_cache(request: Request) -> SearchCache:
    """The lifespan's cache of fuzzy-search answers (shared by the thread-pool workers)."""
    return request.state.search_cache


SearchCacheDep = Annotated[SearchCache, Depends(get_search_cache)]
