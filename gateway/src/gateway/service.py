"""The gateway's logic: ask the internal services, map their answers, fan out for title pages.

Rule for partial failure on `GET /titles/{id}` (catalog and recsys are asked concurrently):
- the catalog has no such id -> 404 with the catalog's sentence;
- the catalog is down, slow or unreadable -> 503 naming the catalog service (nothing to show);
- recsys is down, slow, unreadable or has no neighbours for the id -> the record is still
  returned, with `recommendations.available = false`, no items, and a sentence in `detail`.
On `GET /get_recommendation` an unknown title (recsys 404) becomes a 404 whose `suggestions`
come from the catalog's fuzzy title search; if that search fails too, the 404 has no suggestions.
"""

import asyncio
import logging

from contracts.domain import CATALOG_TYPE_MOVIE, ContentKind, DurationType, Platform
from contracts.errors import NotFound, ServiceError

from gateway.clients import CatalogClient, RecsysClient
from gateway.schemas import (
    RecommendationsRead,
    TitlePageRead,
)

logger = logging.getLogger("gateway")

RECOMMENDATION_COUNT = 5
TITLE_PAGE_NEIGHBOURS = 10
SUGGESTION_COUNT = 5
# Ask the search for more than we show: shows are dropped (get_recommendation takes movies).
SUGGESTION_SEARCH_LIMIT = 10


# The catalog names the public Spanish parameters of prod_per_county in English.
_PUBLIC_COUNTRY_PARAMETERS = {"kind": "tipo", "country": "pais", "year": "anio"}


async def max_duration_title(*, catalog: CatalogClient, year: int | None,
                             platform: Platform | None,
                             duration_type: DurationType | None) -> str:
    """Title of the longest movie matching the optional filters."""
    return await catalog.max_duration(year=year, platform=platform, duration_type=duration_type)


async def score_count(*, catalog: CatalogClient, platform: Platform, scored: int,
                      year: int) -> int:
    """Number of the platform's movies from `year` scored above `scored`."""
    return await catalog.score_count(platform=platform, scored=scored, year=year)


async def count_platform(*, catalog: CatalogClient, platform: Platform) -> int:
    """Number of movies on the platform."""
    return await catalog.count_platform(platform=platform)


async def top_actor(*, catalog: CatalogClient, platform: Platform, year: int) -> str:
    """The name most often in `cast` for the platform and year."""
    return await catalog.actor(platform=platform, year=year)


async def production_per_country(*, catalog: CatalogClient, kind: ContentKind, country: str,
                                 year: int) -> dict[str, str | int]:
    """`{"pais", "anio", <kind in Spanish>: count}` for titles of that kind, country and year."""
    try:
        answer = await catalog.country_production(kind=kind.english, country=country, year=year)
    except NotFound as miss:
        parameter = _PUBLIC_COUNTRY_PARAMETERS.get(miss.body.parameter or "")
        raise NotFound(miss.body.detail, parameter=parameter, accepted=miss.body.accepted,
                       suggestions=miss.body.suggestions) from miss
    return {"pais": answer.country, "anio": answer.year, kind.value: answer.count}


async def content_count(*, catalog: CatalogClient, rating: str) -> int:
    """Number of titles of every type and platform with that maturity rating."""
    return await catalog.contents(rating=rating)


async def _suggestions(*, catalog: CatalogClient, title: str) -> list[str] | None:
    """Up to five movie titles close to `title`; None when the search itself failed."""
    try:
        hits = await catalog.search_titles(query=title, limit=SUGGESTION_SEARCH_LIMIT)
    except ServiceError as failure:
        logger.warning("no suggestions for %r: %s", title, failure.body.detail)
        return None
    movies = [hit.title for hit in hits if hit.type == CATALOG_TYPE_MOVIE]
    return list(dict.fromkeys(movies))[:SUGGESTION_COUNT]


async def recommended_titles(*, recsys: RecsysClient, catalog: CatalogClient,
                             title: str) -> list[str]:
    """The five titles most similar to the movie `title`, best first."""
    try:
        answer = await recsys.neighbours_by_title(title=title, k=RECOMMENDATION_COUNT)
    except NotFound as miss:
        suggestions = await _suggestions(catalog=catalog, title=title)
        # Named as the public API names it (the spec's Spanish parameter).
        raise NotFound(miss.body.detail, parameter="titulo", suggestions=suggestions) from miss
    # The same film may be listed on two platforms; a list of five should name five films.
    titles = dict.fromkeys(neighbour.title for neighbour in answer.neighbours)
    return list(titles)[:RECOMMENDATION_COUNT]


async def _recommendations_or_unavailable(*, recsys: RecsysClient,
                                          title_id: str) -> RecommendationsRead:
    try:
        answer = await recsys.neighbours_by_id(title_id=title_id, k=TITLE_PAGE_NEIGHBOURS)
    except NotFound as miss:
        return RecommendationsRead(available=False, items=[], detail=miss.body.detail)
    except ServiceError as failure:
        logger.warning("title page %s without recommendations: %s", title_id, failure.body.detail)
        return RecommendationsRead(
            available=False, items=[],
            detail=f"Recommendations are unavailable: {failure.body.detail}")
    return RecommendationsRead(available=True, items=answer.neighbours)


async def title_page(*, catalog: CatalogClient, recsys: RecsysClient,
                     title_id: str) -> TitlePageRead:
    """The record and its recommendations, both services asked at once (rule in the docstring)."""
    recommendations = asyncio.ensure_future(
        _recommendations_or_unavailable(recsys=recsys, title_id=title_id))
    try:
        record, recs = await asyncio.gather(catalog.title(title_id=title_id), recommendations)
    except BaseException:
        # The record failed: nothing to show, so stop waiting for recsys.
        recommendations.cancel()
        raise
    return TitlePageRead(title=record, recommendations=recs)
