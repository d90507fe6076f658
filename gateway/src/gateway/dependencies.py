"""Annotated dependencies: the downstream clients the lifespan created, handed to routes."""

from typing import Annotated

from fastapi import Depends, Request

from gateway.clients import CatalogClient, RecsysClient


def get_catalog_client(request: Request) -> CatalogClient:
    return request.state.catalog_client


def get_recsys_client(request: Request) -> RecsysClient:
    return request.state.recsys_client


CatalogClientDep = Annotated[CatalogClient, Depends(get_catalog_client)]
RecsysClientDep = Annotated[RecsysClient, Depends(get_recsys_client)]
