"""Neighbour lookups by id and by title, and the merge of titles shared by several movies.

Answers are built as plain dicts in the contracts.api shapes (MovieNeighboursRead,
TitleNeighboursRead) and encoded once by the route, without a model object per neighbour.
"""

from typing import Any

from contracts.api import ModelRead
from contracts.errors import InvalidParameter, NotFound, echo
from contracts.redis_layout import Neighbour
from contracts.titles import normalise_title

from recsys_service.clients import NeighbourStore


async def neighbours_for_movie(*, store: NeighbourStore, movie_id: str,
                               k: int) -> dict[str, Any]:
    """The k best neighbours of one catalog movie id; 404 when the id is no catalog movie."""
    entry = await store.movie(movie_id)
    if entry.title is None:
        raise NotFound(f"No catalog movie has id {echo(movie_id)} in model version "
                       f"{entry.version}.",
                       parameter="movie_id")
    # The same merge as for titles, over one list: a title never shows up twice.
    neighbours = merge_neighbours(lists=[entry.neighbours or []],
                                  query_key=normalise_title(entry.title), query_ids={movie_id})
    return {"movie_id": movie_id, "title": entry.title, "model_version": entry.version,
            "neighbours": _read(neighbours, k)}


async def neighbours_for_title(*, store: NeighbourStore, title: str,
                               k: int) -> dict[str, Any]:
    """The k best neighbours of a title (case, accents, punctuation forgiven), merged."""
    title = title.strip()
    key = normalise_title(title)
    if not key:
        raise InvalidParameter(f"Parameter 'title' got {echo(title)}, but it has no letters "
                               "or digits.",
                               parameter="title")
    entry = await store.title(key)
    if not entry.ids:
        raise NotFound(f"No catalog movie is titled {echo(title)}.", parameter="title")
    merged = merge_neighbours(lists=entry.neighbour_lists, query_key=key,
                              query_ids=set(entry.ids))
    return {"query": title, "matched_ids": entry.ids, "model_version": entry.version,
            "neighbours": _read(merged, k)}


def merge_neighbours(*, lists: list[list[Neighbour]], query_key: str,
                     query_ids: set[str]) -> list[Neighbour]:
    """One list from several: drop the query title itself, keep each title's best score, rank."""
    best: dict[str, Neighbour] = {}
    for neighbours in lists:
        for neighbour in neighbours:
            key = normalise_title(neighbour.title)
            if neighbour.id in query_ids or key == query_key:
                continue
            kept = best.get(key)
            if kept is None or neighbour.score > kept.score:
                best[key] = neighbour
    # Stable sort: equal scores keep the order the lists gave them.
    return sorted(best.values(), key=lambda n: -n.score)


async def current_model(*, store: NeighbourStore) -> ModelRead:
    """The current version's metadata and offline metrics."""
    meta = await store.meta()
    model: dict[str, Any] = dict(meta.get("model") or {})
    return ModelRead(version=meta["version"], published_at=meta.get("published_at"),
                     movies=meta.get("movies"),
                     movies_with_neighbours=meta.get("movies_with_neighbours"),
                     metrics=model.pop("metrics", None), model=model)


def _read(neighbours: list[Neighbour], k: int) -> list[dict[str, Any]]:
    """The best k as contracts.api.NeighbourRead objects, ready for orjson."""
    return [{"id": n.id, "title": n.title, "score": n.score, "reason": n.reason}
            for n in neighbours[:k]]
