"""Annotated dependencies the routes declare."""

from typing import Annotated

from contracts.errors import UpstreamUnavailable
from fastapi import Depends, Request

from catalog_service.index import CatalogIndex


async def get_index(request: Request) -> CatalogIndex:
    """The index the lifespan loaded and put in the lifespan state.

    `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    hop per request that cost more than the whole lookup.
    """
    index = getattr(request.state, "index", None)
    if index is None:
        raise UpstreamUnavailable("The catalog is not loaded yet.")
    return index


CatalogIndexDep = Annotated[CatalogIndex, Depends(get_index)]
