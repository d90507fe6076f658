"""The public routes: parse and validate the query, call the service, return its answer."""

import re
from typing import Annotated, Any

from contracts.domain import (
    ContentKindParam,
    DurationTypeParam,
    Platform,
    PlatformParam,
    ScoreParam,
    TextParam,
    YearParam,
)
from contracts.titles import normalise_title
from contracts.web import ERROR_RESPONSES
from fastapi import APIRouter, Path, Query, Request
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from gateway import health, service
from gateway.dependencies import CatalogClientDep, RecsysClientDep
from gateway.schemas import ReadyRead, TitlePageRead

router = APIRouter()

_PLATFORMS = ", ".join(p.value for p in Platform)
_KINDS = "pelicula (or movie), serie (or series, tv show), documental (or documentary)"
CATALOG_ID = re.compile(r"[adhn]s\d{1,9}")


def _query(description: str, example: Any) -> Any:
    """A query parameter documented with an example (shown and pre-filled in /docs)."""
    return Query(description=description, examples=[example],
                 openapi_examples={str(example): {"value": example}})


def _catalog_id(value: str) -> str:
    value = value.strip().lower()
    if not CATALOG_ID.fullmatch(value):
        raise PydanticCustomError(
            "catalog_id", "Input should be a catalog id: a, d, h or n, 's', digits (like ns42)")
    return value


def _has_words(value: str) -> str:
    # Titles are compared normalised; one that normalises to nothing can match nothing.
    if not normalise_title(value):
        raise PydanticCustomError("no_words", "Input should contain at least one letter or digit")
    return value


def _example(value: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}, **ERROR_RESPONSES}


PlatformQuery = Annotated[PlatformParam, _query(f"Platform: {_PLATFORMS} (any case).", "netflix")]
YearQuery = Annotated[YearParam, _query("Release year.", 2019)]
OptionalYear = Annotated[YearParam | None, _query("Release year (optional).", 2019)]
OptionalPlatform = Annotated[
    PlatformParam | None, _query(f"Platform (optional): {_PLATFORMS}.", "netflix")]
OptionalDurationType = Annotated[
    DurationTypeParam | None, _query("Duration unit (optional): min or season.", "min")]
ScoreQuery = Annotated[ScoreParam, _query("Score 0-100: movies scored strictly above it.", 85)]
KindQuery = Annotated[ContentKindParam, _query(f"Kind of content: {_KINDS}.", "pelicula")]
CountryQuery = Annotated[TextParam, _query("Country as the catalog names it.", "argentina")]
AnioQuery = Annotated[YearParam, _query("Release year.", 2018)]
RatingQuery = Annotated[TextParam, _query(
    "Maturity rating: tv-ma, pg-13, 13+ (write + as %2B), g ...", "tv-ma")]
TituloQuery = Annotated[TextParam, AfterValidator(_has_words), _query(
    "A movie title; case, accents, punctuation are forgiven.", "the irishman")]
TitleId = Annotated[str, AfterValidator(_catalog_id), Path(
    alias="id", description="Catalog id: platform letter, 's', the platform's show number.",
    examples=["ns42"], openapi_examples={"ns42": {"value": "ns42"}})]


@router.get("/get_max_duration", responses=_example("the irishman"))
async def get_max_duration(catalog: CatalogClientDep, year: OptionalYear = None,
                           platform: OptionalPlatform = None,
                           duration_type: OptionalDurationType = None) -> str:
    """Title of the movie with the longest duration; ties go to the alphabetically first."""
    return await service.max_duration_title(
        catalog=catalog, year=year, platform=platform, duration_type=duration_type)


@router.get("/get_score_count", responses=_example(12))
async def get_score_count(catalog: CatalogClientDep, platform: PlatformQuery, scored: ScoreQuery,
                          year: YearQuery) -> int:
    """Number of the platform's movies released in `year` with score above `scored`."""
    return await service.score_count(catalog=catalog, platform=platform, scored=scored, year=year)


@router.get("/get_count_platform", responses=_example(6131))
async def get_count_platform(catalog: CatalogClientDep, platform: PlatformQuery) -> int:
    """Number of movies on the platform."""
    return await service.count_platform(catalog=catalog, platform=platform)


@router.get("/get_actor", responses=_example("vatsal dubey"))
async def get_actor(catalog: CatalogClientDep, platform: PlatformQuery, year: YearQuery) -> str:
    """The actor named most often in the platform's titles of that year."""
    return await service.top_actor(catalog=catalog, platform=platform, year=year)


@router.get("/prod_per_county",
            responses=_example({"pais": "argentina", "anio": 2018, "pelicula": 15}))
async def prod_per_county(catalog: CatalogClientDep, tipo: KindQuery, pais: CountryQuery,
                          anio: AnioQuery) -> dict[str, str | int]:
    """How many titles of that kind the country produced that year, keyed by the Spanish kind."""
    return await service.production_per_country(catalog=catalog, kind=tipo, country=pais,
                                                year=anio)


@router.get("/get_contents", responses=_example(3207))
async def get_contents(catalog: CatalogClientDep, rating: RatingQuery) -> int:
    """Number of titles of every type and platform with that maturity rating."""
    return await service.content_count(catalog=catalog, rating=rating)


@router.get("/get_recommendation", responses=_example(
    ["goodfellas", "casino", "mean streets", "the departed", "taxi driver"]))
async def get_recommendation(catalog: CatalogClientDep, recsys: RecsysClientDep,
                             titulo: TituloQuery) -> list[str]:
    """The five movies most similar to `titulo`, best first; a 404 suggests close titles."""
    return await service.recommended_titles(recsys=recsys, catalog=catalog, title=titulo)


@router.get("/titles/{id}", responses=ERROR_RESPONSES)
async def get_title(catalog: CatalogClientDep, recsys: RecsysClientDep,
                    title_id: TitleId) -> TitlePageRead:
    """A title's catalog record with its recommendations and their reasons."""
    return await service.title_page(catalog=catalog, recsys=recsys, title_id=title_id)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it does not ask the downstreams)."""
    return {"status": "alive"}


@router.get("/readyz", responses={503: ERROR_RESPONSES[503]})
async def readyz(request: Request, catalog: CatalogClientDep,
                 recsys: RecsysClientDep) -> ReadyRead:
    """Ready while one downstream can serve ("degraded" names the other); 503 when none can."""
    return await health.readiness(clients=(catalog, recsys),
                                  gauge=request.app.state.downstream_ready)
