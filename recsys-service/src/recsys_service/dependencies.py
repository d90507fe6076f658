"""Annotated dependencies the routes declare."""

from typing import Annotated

from contracts.errors import UpstreamUnavailable
from fastapi import Depends, Request

from recsys_service.clients import NeighbourStore


async def get_store(request: Request) -> NeighbourStore:
    """The one pooled store the lifespan created (`async`: FastAPI runs a plain `def`
    dependency in its thread pool, a thread hop per request)."""
    store = getattr(request.state, "store", None)
    if store is None:
        raise UpstreamUnavailable("The Redis client is not started yet.")
    return store


NeighbourStoreDep = Annotated[NeighbourStore, Depends(get_store)]
