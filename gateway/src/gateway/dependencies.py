"""Annotated dependencies: the downstream clients the lifespan created, handed to routes."""

from typing import Annotated

from contracts.errors import UnsupportedMediaType
from fastapi import Depends, Request

from gateway.clients import CatalogClient, RecsysClient
from gateway.ratelimit import BUDGET_STATE, RateBudget

# Without a rate limit (RATE_LIMIT empty) nothing sets a budget: spending is free.
_UNLIMITED = RateBudget()


# `async` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per dependency per request.
async def get_catalog_client(request: Request) -> CatalogClient:
    return request.state.catalog_client


async def get_recsys_client(request: Request) -> RecsysClient:
    return request.state.recsys_client


async def get_rate_budget(request: Request) -> RateBudget:
    """What this request may still spend of its client's rate limit (gateway.ratelimit)."""
    return getattr(request.state, BUDGET_STATE, _UNLIMITED)


CatalogClientDep = Annotated[CatalogClient, Depends(get_catalog_client)]
RecsysClientDep = Annotated[RecsysClient, Depends(get_recsys_client)]
RateBudgetDep = Annotated[RateBudget, Depends(get_rate_budget)]


async def require_json(request: Request) -> None:
    """A body declared as anything but JSON is refused (415) before the model sees it: FastAPI
    parses only JSON (or an undeclared body) and hands any other body to the model as bytes.
    A route taking a JSON body lists it in `dependencies=`."""
    declared = request.headers.get("content-type", "application/json")
    media_type = declared.partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"The body is declared as {media_type or 'nothing'!r}; send it as JSON with "
            "'Content-Type: application/json'.",
            parameter="content-type",
            accepted=["application/json"],
        )
