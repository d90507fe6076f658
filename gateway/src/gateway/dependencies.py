"""Annotated dependencies: the downstream clients the lifespan created, handed to routes."""

from typing import Annotated

from fastapi import Depends, Request

from gateway.clients import CatalogClient, RecsysClient


# `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per dependency per request.
async def get_catalog_client(request: Request) -> CatalogClient:
    return request.state.catalog_client


async def get_recsys_client(request: Request) -> RecsysClient:
    return request.state.recsys_client


CatalogClientDep = Annotated[CatalogClient, Depends(get_catalog_client)]
RecsysClientDep = Annotated[RecsysClient, Depends(get_recsys_client)]
