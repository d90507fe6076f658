"""Routes of the catalog's internal API: parse the parameters, call the service, return a schema."""

from typing import Annotated, Any

from contracts.api import (
    ActorRead,
    CatalogReadyRead,
    CountRead,
    CountryProductionRead,
    HealthRead,
    MaxDurationRead,
    TitleRead,
    TitleSearchRead,
)
from contracts.domain import (
    ContentKindParam,
    DurationTypeParam,
    PlatformListParam,
    PlatformParam,
    ScoreParam,
    TextParam,
    TitleText,
    YearParam,
)
from contracts.web import ERROR_RESPONSES, JsonAnswer
from fastapi import APIRouter, Path, Query, Response

from catalog_service import service
from catalog_service.dependencies import CatalogIndexDep, SearchCacheDep

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
health_router = APIRouter(tags=["health"])


def _query(description: str, example: object, **constraints: Any) -> Any:
    """A query parameter documented with its example (in the schema and for the docs' picker)."""
    return Query(
        description=description,
        examples=[example],
        openapi_examples={"example": {"value": example}},
        **constraints,
    )


SEARCH_LIMIT = 50
_KINDS = "movie, series (tv show) or documentary; the Spanish pelicula, serie, documental too."
_PLATFORM = "amazon, disney, hulu or netflix (any case)."
_YEAR = "Release year."
Platform = Annotated[PlatformParam, _query(_PLATFORM, "netflix")]
Year = Annotated[YearParam, _query(_YEAR, 2018)]


@router.get("/max-duration", tags=["queries"], response_model=MaxDurationRead)
async def max_duration(
    index: CatalogIndexDep,
    year: Annotated[YearParam | None, _query(_YEAR, 2018)] = None,
    platform: Annotated[PlatformParam | None, _query(_PLATFORM, "amazon")] = None,
    duration_type: Annotated[DurationTypeParam | None, _query("min or season.", "min")] = None,
) -> Response:
    """The longest movie under the filters given; ties go to the alphabetically first title."""
    title = service.longest_movie(
        index=index, year=year, platform=platform, duration_type=duration_type
    )
    return JsonAnswer({"title": title})


@router.get("/score-count", tags=["queries"], response_model=CountRead)
async def score_count(
    index: CatalogIndexDep,
    platform: Platform,
    scored: Annotated[ScoreParam, _query("Score to beat, 0-100.", 85)],
    year: Year,
) -> Response:
    """Movies on the platform released that year with a score above `scored`."""
    count = service.count_scored_movies(index=index, platform=platform, scored=scored, year=year)
    return JsonAnswer({"count": count})


@router.get("/count-platform", tags=["queries"], response_model=CountRead)
async def count_platform(index: CatalogIndexDep, platform: Platform) -> Response:
    """Movies on the platform."""
    return JsonAnswer({"count": service.count_platform_movies(index=index, platform=platform)})


@router.get("/actor", tags=["queries"], response_model=ActorRead)
async def actor(index: CatalogIndexDep, platform: Platform, year: Year) -> Response:
    """The name listed most often in the casts of the platform's titles of that year."""
    return JsonAnswer({"name": service.top_cast_name(index=index, platform=platform, year=year)})


@router.get("/country-production", tags=["queries"], response_model=CountryProductionRead)
async def country_production(
    index: CatalogIndexDep,
    kind: Annotated[ContentKindParam, _query(_KINDS, "movie")],
    country: Annotated[TextParam, _query("Country, any case.", "argentina")],
    year: Year,
) -> Response:
    """Titles of the kind released that year whose country list contains `country`."""
    count = service.count_country_production(index=index, kind=kind, country=country, year=year)
    return JsonAnswer({"kind": kind.english, "country": country, "year": year, "count": count})


@router.get("/contents", tags=["queries"], response_model=CountRead)
async def contents(
    index: CatalogIndexDep,
    rating: Annotated[TextParam, _query("Maturity rating, any case; '+' as %2B.", "tv-ma")],
) -> Response:
    """Titles of every type and platform with that maturity rating."""
    return JsonAnswer({"count": service.count_rated_titles(index=index, rating=rating)})


# A plain `def`: the fuzzy scan over ~16k titles takes milliseconds, so FastAPI runs it in
# its thread pool instead of on the event loop that serves the other (microsecond) routes.
@router.get("/titles/search", tags=["titles"], response_model=TitleSearchRead)
def search_titles(
    index: CatalogIndexDep,
    cache: SearchCacheDep,
    q: Annotated[TitleText, _query("A title, roughly spelt.", "the godfater")],
    limit: Annotated[
        int, _query(f"At most this many, 1-{SEARCH_LIMIT}.", 5, ge=1, le=SEARCH_LIMIT)
    ] = 5,
    platform: Annotated[
        PlatformListParam | None,
        _query("Only films on these platforms (repeat it, or comma-separate).", ["netflix"]),
    ] = None,
) -> Response:
    """Films and shows whose title is closest to `q`, best first, one hit per film."""
    hits = service.search_titles(index=index, query=q, limit=limit, platforms=platform, cache=cache)
    return JsonAnswer({"results": [hit.model_dump() for hit in hits]})


# Answers leave as JSON made here (JsonAnswer: orjson, no response-model validation per
# request); `response_model` names their contracts.api shape for the docs and the contract test.
@router.get("/titles/{id}", tags=["titles"], response_model=TitleRead)
async def title(
    index: CatalogIndexDep,
    id: Annotated[
        str,
        Path(
            description="Catalog id: platform letter + show_id.",
            examples=["ns42"],
            openapi_examples={"example": {"value": "ns42"}},
        ),
    ],
) -> Response:
    """The full catalog record of one title."""
    return JsonAnswer(service.title_record(index=index, title_id=id))


@health_router.get("/healthz")
async def healthz() -> HealthRead:
    """The process is alive."""
    return HealthRead(status="ok")


@health_router.get("/readyz", responses=ERROR_RESPONSES)
async def readyz(index: CatalogIndexDep) -> CatalogReadyRead:
    """The catalog is loaded: how many rows and which ETL run."""
    return CatalogReadyRead(status="ready", rows=index.rows, data_version=index.data_version)
