"""Routes of the recsys internal API: parse the parameters, call the service, return a schema."""

from typing import Annotated

from contracts.api import (
    HealthRead,
    ModelRead,
    MovieNeighboursRead,
    NeighbourFilters,
    RecsysReadyRead,
    TasteRead,
    TasteRequest,
    TitleNeighboursRead,
)
from contracts.audience import MaxAge
from contracts.domain import PlatformListParam, TitleText, TitleTypeParam, YearParam
from contracts.observability import DATA_VERSION_HEADER
from contracts.redis_layout import MAX_NEIGHBOURS
from contracts.web import ERROR_RESPONSES, JsonAnswer
from fastapi import APIRouter, Path, Query, Response

from recsys_service import service
from recsys_service.dependencies import NeighbourStoreDep

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["neighbours"])
health_router = APIRouter(tags=["health"])

K_DESCRIPTION = f"How many neighbours, 1-{MAX_NEIGHBOURS}, best first."
Platforms = Annotated[
    PlatformListParam | None,
    Query(
        description="Only films available on these platforms (repeat it, or comma-separate).",
        examples=[["netflix", "hulu"]],
    ),
]
MaxAgeQuery = Annotated[
    MaxAge | None,
    Query(
        description="Only titles for this audience or younger: kids, family, teen or adult "
        "(adult lets unrated titles through too).",
        examples=["family"],
    ),
]
# The model version an answer came from, also as a header: callers (the gateway) cache
# answers per version without reading the body. Answers leave as JSON made here (JsonAnswer);
# `response_model` names their contracts.api shape for the docs and the contract test.


@router.get("/neighbours/{movie_id}", response_model=MovieNeighboursRead)
async def neighbours_by_id(
    store: NeighbourStoreDep,
    movie_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=64,
            examples=["ns42"],
            description="Catalog id of a movie, as in ns42.",
        ),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_NEIGHBOURS, description=K_DESCRIPTION)] = MAX_NEIGHBOURS,
    platform: Platforms = None,
    max_age: MaxAgeQuery = None,
) -> Response:
    """The titles most similar to one catalog title, with scores, reasons, platforms."""
    filters = NeighbourFilters(platforms=platform, max_age=max_age)
    answer = await service.neighbours_for_movie(
        store=store, movie_id=movie_id, k=k, filters=filters
    )
    return JsonAnswer(answer.body, headers={DATA_VERSION_HEADER: answer.version})


@router.get("/neighbours", response_model=TitleNeighboursRead)
async def neighbours_by_title(
    store: NeighbourStoreDep,
    title: Annotated[
        TitleText,
        Query(
            examples=["the matrix"],
            description="A movie title; case, accents, punctuation "
            "and repeated spaces do not matter.",
        ),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_NEIGHBOURS, description=K_DESCRIPTION)] = 5,
    platform: Platforms = None,
    type: Annotated[
        TitleTypeParam | None,
        Query(description="movie or tv show: which of two titles sharing a name."),
    ] = None,
    year: Annotated[
        YearParam | None, Query(description="Release year: which of two films sharing a title.")
    ] = None,
    max_age: MaxAgeQuery = None,
) -> Response:
    """The titles most similar to a film; a bare title means its movie, most rated, newest."""
    filters = NeighbourFilters(platforms=platform, max_age=max_age, kind=type, year=year)
    answer = await service.neighbours_for_title(store=store, title=title, k=k, filters=filters)
    return JsonAnswer(answer.body, headers={DATA_VERSION_HEADER: answer.version})


@router.post("/taste", response_model=TasteRead)
async def taste(store: NeighbourStoreDep, body: TasteRequest) -> Response:
    """The n best titles for someone who liked these: the sum of their neighbour scores."""
    filters = NeighbourFilters(platforms=body.platform, max_age=body.max_age)
    answer = await service.taste(store=store, liked=body.liked, filters=filters, n=body.n)
    return JsonAnswer(answer.body, headers={DATA_VERSION_HEADER: answer.version})


@router.get("/model")
async def model(store: NeighbourStoreDep) -> ModelRead:
    """The model version served now, with the offline metrics it was published with."""
    return await service.current_model(store=store)


@health_router.get("/healthz")
async def healthz() -> HealthRead:
    """The process is up (Redis is not consulted)."""
    return HealthRead(status="ok")


@health_router.get("/readyz", responses={503: ERROR_RESPONSES[503]})
async def readyz(store: NeighbourStoreDep) -> RecsysReadyRead:
    """Redis answers and a current version is published; otherwise a 503 saying which."""
    return RecsysReadyRead(status="ready", model_version=await store.current_version())
