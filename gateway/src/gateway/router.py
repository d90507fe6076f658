"""The public routes: parse and validate the query, call the service, return its answer."""

import re
from typing import Annotated, Any

from contracts.api import NeighbourFilters, TasteRequest
from contracts.audience import MaxAge
from contracts.domain import (
    ContentKindParam,
    DurationTypeParam,
    Platform,
    PlatformListParam,
    PlatformParam,
    ScoreParam,
    TextParam,
    TitleStart,
    TitleText,
    TitleTypeParam,
    YearParam,
)
from contracts.errors import ErrorBody
from contracts.web import ERROR_RESPONSES, JsonAnswer
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.openapi.models import Example
from pydantic import AfterValidator, BaseModel, StringConstraints
from pydantic_core import PydanticCustomError

from gateway import health, service
from gateway.dependencies import CatalogClientDep, RateBudgetDep, RecsysClientDep, require_json
from gateway.schemas import ReadyRead, SearchPageRead, TastePageRead, TitlePageRead

# Answers leave as JSON encoded once (JsonAnswer); `response_model` names their shape for the docs.
# Any public call may be refused by the client's rate limit (gateway.ratelimit).
RATE_LIMITED = (
    "More than the client's rate limit; Retry-After says when to retry. Dearer "
    "requests (long POST lists, unknown titles' suggestions) spend more of it."
)
router = APIRouter(responses={429: {"model": ErrorBody, "description": RATE_LIMITED}})

_PLATFORMS = ", ".join(p.value for p in Platform)
_KINDS = "pelicula (or movie), serie (or series, tv show), documental (or documentary)"
CATALOG_ID = re.compile(r"[adhn]s\d{1,9}")


def _query(description: str, example: Any, **bounds: Any) -> Any:
    """A query parameter documented with an example (shown and pre-filled in /docs)."""
    shown: dict[str, Example] = {str(example): {"value": example}}
    return Query(description=description, examples=[example], openapi_examples=shown, **bounds)


def _catalog_id(value: str) -> str:
    value = value.strip().lower()
    if not CATALOG_ID.fullmatch(value):
        raise PydanticCustomError(
            "catalog_id", "Input should be a catalog id: a, d, h or n, 's', digits (like ns42)"
        )
    return value


def _model_answer(answer: BaseModel) -> Response:
    """A model's answer encoded once by pydantic (as FastAPI's response model would be)."""
    return JsonAnswer(answer.model_dump_json().encode())


def _example(value: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}, **ERROR_RESPONSES}


PlatformQuery = Annotated[PlatformParam, _query(f"Platform: {_PLATFORMS} (any case).", "netflix")]
YearQuery = Annotated[YearParam, _query("Release year.", 2019)]
OptionalYear = Annotated[YearParam | None, _query("Release year (optional).", 2019)]
OptionalPlatform = Annotated[
    PlatformParam | None, _query(f"Platform (optional): {_PLATFORMS}.", "netflix")
]
OptionalDurationType = Annotated[
    DurationTypeParam | None, _query("Duration unit (optional): min or season.", "min")
]
ScoreQuery = Annotated[ScoreParam, _query("Score 0-100: movies scored strictly above it.", 85)]
KindQuery = Annotated[ContentKindParam, _query(f"Kind of content: {_KINDS}.", "pelicula")]
CountryQuery = Annotated[TextParam, _query("Country as the catalog names it.", "argentina")]
AnioQuery = Annotated[YearParam, _query("Release year.", 2018)]
RatingQuery = Annotated[
    TextParam, _query("Maturity rating: tv-ma, pg-13, 13+ (write + as %2B), g ...", "tv-ma")
]
# Titles (contracts.domain.TitleText): the schema's pattern says what the validator enforces,
# a letter or digit in any script, so a client (or a fuzzer) reading the OpenAPI never sends a
# request it calls valid that the gateway then refuses.
# Lowercased: one answer-cache entry per title whatever its case.
TituloQuery = Annotated[
    TitleText,
    StringConstraints(to_lower=True),
    _query("A movie title; case, accents, punctuation are forgiven.", "the irishman"),
]
PlatformsQuery = Annotated[
    PlatformListParam | None,
    _query(
        f"Only titles available on these platforms ({_PLATFORMS}): repeat the parameter "
        "(platform=netflix&platform=hulu) or comma-separate it (platform=netflix,hulu).",
        ["netflix", "hulu"],
    ),
]
MaxAgeQuery = Annotated[
    MaxAge | None,
    _query(
        "Only titles for this audience or younger: kids, family, teen or adult (adult lets unrated "
        "titles through too). The bands fold the platforms' ratings (contracts.audience).",
        "kids",
    ),
]
TypeQuery = Annotated[
    TitleTypeParam | None,
    _query(
        "movie or tv show. A title that is both a movie and a show answers the movie's list; "
        "type=tv show asks for the show's.",
        "tv show",
    ),
]
YearOfTitle = Annotated[
    YearParam | None,
    _query(
        "Release year of the title asked about. Two films may share a title (les miserables 2012 "
        "and 2020): without a year the most rated answers, then the newest; year picks the other.",
        2012,
    ),
]
SearchText = Annotated[
    TitleStart, _query("What was typed so far: a title or its start, typos forgiven.", "toy sto")
]
SearchLimit = Annotated[int, _query("At most this many hits, 1-50.", 10, ge=1, le=50)]
TitleId = Annotated[
    str,
    AfterValidator(_catalog_id),
    Path(
        alias="id",
        description="Catalog id: platform letter, 's', the platform's show number.",
        examples=["ns42"],
        openapi_examples={"ns42": {"value": "ns42"}},
        json_schema_extra={"pattern": r"^\s*[adhnADHN][sS][0-9]{1,9}\s*$"},
    ),
]


@router.get("/get_max_duration", response_model=str, responses=_example("the irishman"))
async def get_max_duration(
    catalog: CatalogClientDep,
    year: OptionalYear = None,
    platform: OptionalPlatform = None,
    duration_type: OptionalDurationType = None,
) -> Response:
    """Title of the movie with the longest duration; ties go to the alphabetically first."""
    return JsonAnswer(
        await catalog.max_duration(year=year, platform=platform, duration_type=duration_type)
    )


@router.get("/get_score_count", response_model=int, responses=_example(12))
async def get_score_count(
    catalog: CatalogClientDep, platform: PlatformQuery, scored: ScoreQuery, year: YearQuery
) -> Response:
    """Number of the platform's movies released in `year` with score above `scored`.

    Data note: in this dataset `score` behaves like uniform noise (the EDA report's score
    section: its 1-100 distribution cannot be told from a uniform one, chi-square p = 0.57 over
    all 22,998 titles), so the count says nothing about quality.
    """
    return JsonAnswer(await catalog.score_count(platform=platform, scored=scored, year=year))


@router.get("/get_count_platform", response_model=int, responses=_example(6131))
async def get_count_platform(catalog: CatalogClientDep, platform: PlatformQuery) -> Response:
    """Number of movies on the platform."""
    return JsonAnswer(await catalog.count_platform(platform=platform))


@router.get("/get_actor", response_model=str, responses=_example("vatsal dubey"))
async def get_actor(
    catalog: CatalogClientDep, platform: PlatformQuery, year: YearQuery
) -> Response:
    """The actor named most often in the platform's titles of that year.

    Data note: hulu's file lists no cast for any title, so for hulu this is always a 404.
    """
    return JsonAnswer(await catalog.actor(platform=platform, year=year))


@router.get(
    "/prod_per_county",
    response_model=dict[str, str | int],
    responses=_example({"pais": "argentina", "anio": 2018, "pelicula": 15}),
)
async def prod_per_county(
    catalog: CatalogClientDep, tipo: KindQuery, pais: CountryQuery, anio: AnioQuery
) -> Response:
    """How many titles of that kind the country produced that year, keyed by the Spanish kind."""
    return JsonAnswer(
        await service.production_per_country(catalog=catalog, kind=tipo, country=pais, year=anio)
    )


@router.get("/get_contents", response_model=int, responses=_example(3207))
async def get_contents(catalog: CatalogClientDep, rating: RatingQuery) -> Response:
    """Number of titles of every type and platform with that maturity rating."""
    return JsonAnswer(await catalog.contents(rating=rating))


# Names the film a title was taken to mean, so a caller can tell which of two films sharing
# a title answered (and ask for the other with `year` or `type`).
TITLE_ID_HEADER = "X-Title-Id"
_RECOMMENDATION_EXAMPLE = _example(
    ["goodfellas", "casino", "mean streets", "the departed", "taxi driver"]
)
_RECOMMENDATION_EXAMPLE[200]["headers"] = {
    TITLE_ID_HEADER: {
        "description": "Catalog id of the film `titulo` was taken to mean.",
        "schema": {"type": "string", "example": "ns2121"},
    }
}


@router.get("/get_recommendation", response_model=list[str], responses=_RECOMMENDATION_EXAMPLE)
async def get_recommendation(
    catalog: CatalogClientDep,
    recsys: RecsysClientDep,
    budget: RateBudgetDep,
    titulo: TituloQuery,
    platform: PlatformsQuery = None,
    type: TypeQuery = None,
    year: YearOfTitle = None,
    max_age: MaxAgeQuery = None,
) -> Response:
    """The five titles most similar to `titulo`, best first; a 404 suggests close titles.

    A movie gets movies, a TV show gets TV shows (by content). With `platform`, only titles
    available on those platforms: still five whenever the catalog has them. A title that is
    both a movie and a show answers the movie's list (`type=tv show` for the show's); a title
    two films share answers the most rated, then the newest (`year` picks the other); the
    `X-Title-Id` header names the film taken. With `max_age`, only titles for that audience or
    younger (kids, family, teen, adult).
    An unknown title's suggestions cost RATE_LIMIT_SEARCH_COST more of the rate limit."""
    filters = NeighbourFilters(platforms=platform, max_age=max_age, kind=type, year=year)
    chosen = await service.recommended_titles(
        recsys=recsys, catalog=catalog, budget=budget, title=titulo, filters=filters
    )
    return JsonAnswer(chosen.titles, headers={TITLE_ID_HEADER: chosen.title_id})


@router.get("/titles/{id}", response_model=TitlePageRead, responses=ERROR_RESPONSES)
async def get_title(
    catalog: CatalogClientDep,
    recsys: RecsysClientDep,
    title_id: TitleId,
    platform: PlatformsQuery = None,
    max_age: MaxAgeQuery = None,
) -> Response:
    """A title's catalog record (with the platforms listing that film) and its
    recommendations: reasons, and where each can be watched; `platform` and `max_age` keep
    only those."""
    filters = NeighbourFilters(platforms=platform, max_age=max_age)
    return _model_answer(
        await service.title_page(catalog=catalog, recsys=recsys, title_id=title_id, filters=filters)
    )


@router.get("/search", response_model=SearchPageRead, responses=ERROR_RESPONSES)
async def search(
    catalog: CatalogClientDep,
    q: SearchText,
    limit: SearchLimit = 10,
    platform: PlatformsQuery = None,
) -> Response:
    """Catalog titles matching as you type (prefix, all words, typos), one hit per film:
    type, year and the platforms listing it. Nothing close: an empty list, not a 404."""
    return _model_answer(
        await service.search(catalog=catalog, query=q, limit=limit, platforms=platform)
    )


@router.post(
    "/recommendations",
    dependencies=[Depends(require_json)],
    responses={**dict.fromkeys((400, 413, 415), ERROR_RESPONSES[422]), **ERROR_RESPONSES},
)
async def recommendations(
    body: TasteRequest, catalog: CatalogClientDep, recsys: RecsysClientDep, budget: RateBudgetDep
) -> TastePageRead:
    """ "I liked these": the `n` best titles for that taste, none of the liked ones.

    Ranked by the model itself, as one taste: the sum of the liked films' rows of EASE's
    item-to-item weights (its fold-in); each item says which liked films weigh most. Unknown
    liked titles are answered with suggestions (the first three); when none is known, a 404
    with suggestions. At most 20 liked titles and a 16 KB body (413 past it); a body that is
    not JSON is a 415. Each liked title past the first, and each suggestion search, spends
    more of the rate limit (429)."""
    return await service.recommendations_for_taste(
        recsys=recsys, catalog=catalog, body=body, budget=budget
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it does not ask the downstreams)."""
    return {"status": "alive"}


@router.get("/readyz", responses={503: ERROR_RESPONSES[503]})
async def readyz(request: Request, catalog: CatalogClientDep, recsys: RecsysClientDep) -> ReadyRead:
    """Ready while one downstream can serve ("degraded" names the other); 503 when none can."""
    return await health.readiness(
        clients=(catalog, recsys), gauge=request.app.state.downstream_ready
    )
