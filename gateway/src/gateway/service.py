"""The gateway's logic: ask the internal services, map their answers, fan out for title pages.

Rule for partial failure on `GET /titles/{id}` (catalog and recsys are asked concurrently):
- the catalog has no such id -> 404 with the catalog's sentence;
- the catalog is down, slow or unreadable -> 503 naming the catalog service (nothing to show);
- recsys is down, slow, unreadable or has no neighbours for the id -> the record is still
  returned, with `recommendations.available = false`, no items, and a sentence in `detail`.
On `GET /get_recommendation` an unknown title (recsys 404) becomes a 404 whose `suggestions`
come from the catalog's fuzzy title search; if that search fails too, the 404 has no suggestions.
Dearer work (gateway.ratelimit) is paid for from the request's rate budget before it starts.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.api import NeighbourFilters, TasteRequest
from contracts.domain import ContentKind, Platform
from contracts.errors import NotFound, ServiceError

from gateway.clients import CatalogClient, RecsysClient
from gateway.ratelimit import RateBudget
from gateway.schemas import (
    RecommendationsRead,
    SearchHitRead,
    SearchPageRead,
    TastePageRead,
    TitlePageRead,
    UnknownRead,
)

logger = logging.getLogger("gateway")

RECOMMENDATION_COUNT = 5
# Asked of recsys for get_recommendation: two films may share a title (les miserables 2012 and
# 2020), and the answer is five distinct titles.
RECOMMENDATION_CANDIDATES = 10
TITLE_PAGE_NEIGHBOURS = 10
SUGGESTION_COUNT = 5
# Ask the search for more than we show: a title two films share comes back twice.
SUGGESTION_SEARCH_LIMIT = 10
# Unknown titles of one request that get suggestions (each a fuzzy scan of the catalog); the
# others come back with none.
SUGGESTED_TITLES = 3


# The catalog names the public Spanish parameters of prod_per_county in English.
_PUBLIC_COUNTRY_PARAMETERS = {"kind": "tipo", "country": "pais", "year": "anio"}


async def production_per_country(
    *, catalog: CatalogClient, kind: ContentKind, country: str, year: int
) -> dict[str, str | int]:
    """`{"pais", "anio", <kind in Spanish>: count}` for titles of that kind, country and year."""
    try:
        answer = await catalog.country_production(kind=kind.english, country=country, year=year)
    except NotFound as miss:
        parameter = _PUBLIC_COUNTRY_PARAMETERS.get(miss.body.parameter or "")
        raise NotFound.from_body(miss.body, parameter=parameter) from miss
    return {"pais": answer.country, "anio": answer.year, kind.value: answer.count}


async def _suggestions(*, catalog: CatalogClient, title: str) -> list[str] | None:
    """Up to five catalog titles (movies or shows) close to `title`; None when the search
    itself failed."""
    try:
        hits = await catalog.search_titles(query=title, limit=SUGGESTION_SEARCH_LIMIT)
    except ServiceError as failure:
        logger.warning("no suggestions for %r: %s", title, failure.body.detail)
        return None
    return list(dict.fromkeys(hit.title for hit in hits))[:SUGGESTION_COUNT]


async def _suggestions_for(
    *, catalog: CatalogClient, budget: RateBudget, titles: Sequence[str]
) -> list[list[str]]:
    """Suggestions for each title, searched (and paid for) for the first SUGGESTED_TITLES."""
    searched = titles[:SUGGESTED_TITLES]
    await budget.spend_on_searches(len(searched))
    found = await asyncio.gather(*(_suggestions(catalog=catalog, title=t) for t in searched))
    return [hits or [] for hits in found] + [[] for _ in titles[SUGGESTED_TITLES:]]


@dataclass(frozen=True, slots=True)
class Recommended:
    """The titles recommended for a film, and the catalog id of the film the title was taken
    to mean (a title several films share means one of them)."""

    titles: list[str]
    title_id: str


async def recommended_titles(
    *,
    recsys: RecsysClient,
    catalog: CatalogClient,
    title: str,
    budget: RateBudget,
    filters: NeighbourFilters,
) -> Recommended:
    """The five titles most similar to the film (or show) `title`, best first, only those on
    the filters' platforms and for their `max_age` or younger; their `kind` and `year` pick
    among films sharing the title, else the one people mean most often (a movie before a show,
    the most rated, then the newest)."""
    try:
        answer = await recsys.neighbours_by_title(
            title=title, k=RECOMMENDATION_CANDIDATES, filters=filters
        )
    except NotFound as miss:
        if miss.body.parameter in ("type", "year"):
            raise  # the title exists, not as that type or year: the sentence says what it is
        await budget.spend_on_searches(1)
        suggestions = await _suggestions(catalog=catalog, title=title)
        # Named as the public API names it (the spec's Spanish parameter).
        raise NotFound(miss.body.detail, parameter="titulo", suggestions=suggestions) from miss
    # recsys lists each film once, but two films may share a title; the answer is titles,
    # lowercase as every answer of the public queries (recsys names them as people read them).
    titles = dict.fromkeys(neighbour.title.lower() for neighbour in answer.neighbours)
    return Recommended(titles=list(titles)[:RECOMMENDATION_COUNT], title_id=answer.matched_ids[0])


async def search(
    *, catalog: CatalogClient, query: str, limit: int, platforms: Sequence[Platform] | None
) -> SearchPageRead:
    """Catalog titles matching what was typed, one hit per film, similarity 0-100."""
    hits = await catalog.search_titles(query=query, limit=limit, platforms=platforms)
    return SearchPageRead(
        query=query,
        results=[
            SearchHitRead(**{**hit.model_dump(), "similarity": round(hit.similarity * 100, 2)})
            for hit in hits
        ],
    )


async def recommendations_for_taste(
    *, recsys: RecsysClient, catalog: CatalogClient, body: TasteRequest, budget: RateBudget
) -> TastePageRead:
    """The n best titles for someone who liked `body.liked`; unknown titles come back with
    suggestions (the first SUGGESTED_TITLES of them), and when none is known it is a 404 with
    suggestions."""
    await budget.spend_on_titles(len(body.liked) - 1)  # the request itself paid for one
    try:
        answer = await recsys.taste(body)
    except NotFound as miss:
        # Close titles for the liked titles (an id has none: it is not a spelling).
        titles = [item if isinstance(item, str) else item.title for item in body.liked]
        suggestions = await _suggestions_for(
            catalog=catalog, budget=budget, titles=[title for title in titles if title]
        )
        merged = list(dict.fromkeys(t for found in suggestions for t in found))
        raise NotFound(
            miss.body.detail, parameter="liked", suggestions=merged[:SUGGESTION_COUNT]
        ) from miss
    suggestions = await _suggestions_for(catalog=catalog, budget=budget, titles=answer.unknown)
    return TastePageRead(
        liked=answer.liked,
        items=answer.items,
        unknown=[
            UnknownRead(query=title, suggestions=found)
            for title, found in zip(answer.unknown, suggestions, strict=True)
        ],
    )


async def _recommendations_or_unavailable(
    *, recsys: RecsysClient, title_id: str, filters: NeighbourFilters
) -> RecommendationsRead:
    try:
        answer = await recsys.neighbours_by_id(
            title_id=title_id, k=TITLE_PAGE_NEIGHBOURS, filters=filters
        )
    except NotFound as miss:
        return RecommendationsRead(available=False, items=[], detail=miss.body.detail)
    except ServiceError as failure:
        logger.warning("title page %s without recommendations: %s", title_id, failure.body.detail)
        return RecommendationsRead(
            available=False,
            items=[],
            detail=f"Recommendations are unavailable: {failure.body.detail}",
        )
    return RecommendationsRead(available=True, items=answer.neighbours)


async def title_page(
    *, catalog: CatalogClient, recsys: RecsysClient, title_id: str, filters: NeighbourFilters
) -> TitlePageRead:
    """The record and its recommendations, both services asked at once (rule in the docstring)."""
    recommendations = asyncio.ensure_future(
        _recommendations_or_unavailable(recsys=recsys, title_id=title_id, filters=filters)
    )
    try:
        record, recs = await asyncio.gather(catalog.title(title_id=title_id), recommendations)
    except BaseException:
        # The record failed: nothing to show, so stop waiting for recsys.
        recommendations.cancel()
        raise
    return TitlePageRead(title=record, recommendations=recs)
