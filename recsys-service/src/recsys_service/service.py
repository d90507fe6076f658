"""Neighbour lookups by id and by title, platform filters, and the taste of several titles.

The common request (an id or a bare title, no filter, k up to the page's depth) is answered
with the page the ETL stored for it, as is; anything else decodes the lists into a dict in its
contracts.api shape, with the functions the ETL built the pages with (contracts.neighbour_lists).
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson
from contracts.api import Liked, LikedFilm, ModelRead, NeighbourFilters, liked_query
from contracts.errors import InvalidParameter, NotFound, echo
from contracts.neighbour_lists import (
    best_neighbours,
    film_lists,
    film_of,
    film_read,
    for_ages,
    merge_neighbours,
    movie_neighbours,
    neighbour_item,
    on_platforms,
    pick_film,
)
from contracts.redis_layout import FilmEntry, Neighbour
from contracts.titles import normalise_title

from recsys_service.clients import NeighbourStore, TitleEntry

QUERY_OPEN = b'{"query":'


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer's JSON (bytes as stored, or a dict in its contracts.api shape) and the model
    version it came from."""

    body: bytes | dict[str, Any]
    version: str


async def neighbours_for_movie(
    *, store: NeighbourStore, movie_id: str, k: int, filters: NeighbourFilters
) -> Answer:
    """The k best neighbours of one catalog id, from its stored page when unfiltered and k is
    within it; 404 when the id has no list."""
    if not filters:
        version, page = await store.page(movie_id, k)
        if page is not None:
            return Answer(page, version)
    entry = await store.movie(movie_id)
    if entry.title is None:
        raise NotFound(
            f"No catalog title has id {echo(movie_id)} in model version {entry.version}.",
            parameter="movie_id",
        )
    neighbours = movie_neighbours(
        movie_id=movie_id, title=entry.title, neighbours=entry.neighbours or []
    )
    return Answer(
        {
            "movie_id": movie_id,
            "title": entry.title,
            "model_version": entry.version,
            "neighbours": _read(neighbours, k, filters),
        },
        entry.version,
    )


def _no_film(title: str, films: list[FilmEntry], filters: NeighbourFilters) -> NotFound:
    if not films:
        return NotFound(f"No catalog title is titled {echo(title)}.", parameter="title")
    asked = " ".join(str(part) for part in (filters.kind, filters.year) if part is not None)
    known = ", ".join(f"{f.type} {f.release_year}" for f in films)
    parameter = "year" if filters.year is not None else "type"
    return NotFound(
        f"{echo(title)} is in the catalog, but not as {asked}: it is {known}.", parameter=parameter
    )


def _key(title: str) -> str:
    key = normalise_title(title.strip())
    if not key:
        raise InvalidParameter(
            f"Parameter 'title' got {echo(title)}, but it has no letters or digits.",
            parameter="title",
        )
    return key


async def neighbours_for_title(
    *, store: NeighbourStore, title: str, k: int, filters: NeighbourFilters
) -> Answer:
    """The k best neighbours of the film a title means (case, accents, punctuation forgiven);
    `kind` and `year` pick another film of the same title. A bare title, unfiltered, is
    answered from its stored page (the query put first)."""
    title = title.strip()
    key = _key(title)
    if not filters:
        version, page = await store.page(key, k, by_title=True)
        if page is not None:
            return Answer(QUERY_OPEN + orjson.dumps(title) + page, version)
    (entry,) = await store.titles([key], operation="title")
    film = pick_film(entry.films, kind=filters.kind, year=filters.year)
    if film is None:
        raise _no_film(title, entry.films, filters)
    merged = best_neighbours(lists=film_lists(entry.lists, film), query_ids=set(film.ids))
    return Answer(
        {
            "query": title,
            "matched_ids": list(film.ids),
            "film": film_read(film),
            "others": [film_read(f) for f in entry.films if f is not film],
            "model_version": entry.version,
            "neighbours": _read(merged, k, filters),
        },
        entry.version,
    )


def _film_asked(*, liked: Liked, entry: TitleEntry | None) -> tuple[str, FilmEntry] | None:
    """The film a liked item names, and the catalog id taken for it: the id given, or the first
    record of the film a title (and year) means."""
    if entry is None:
        return None
    if isinstance(liked, LikedFilm) and liked.id is not None:
        film = next((f for f in entry.films if liked.id in f.ids), None)
        return (liked.id, film) if film is not None else None
    film = pick_film(entry.films, year=liked.year if isinstance(liked, LikedFilm) else None)
    return (film.ids[0], film) if film is not None else None


async def _title_keys(*, store: NeighbourStore, liked: list[Liked]) -> list[str | None]:
    """The normalised title each liked item is looked up under (an id: its record's title;
    None when no catalog record has that id)."""
    ids = [item.id for item in liked if isinstance(item, LikedFilm) and item.id is not None]
    movies = dict(zip(ids, await asyncio.gather(*(store.movie(i) for i in ids)), strict=True))
    keys: list[str | None] = []
    for item in liked:
        if isinstance(item, LikedFilm) and item.id is not None:
            title = movies[item.id].title
            keys.append(normalise_title(title) if title is not None else None)
        else:
            keys.append(_key(item if isinstance(item, str) else str(item.title)))
    return keys


async def taste(
    *, store: NeighbourStore, liked: list[Liked], filters: NeighbourFilters, n: int
) -> Answer:
    """The n best films for someone who liked these (a bare title, an id, or a title and year),
    never a liked film; each item names the liked titles it comes from, heaviest first.

    Scored as one taste by the model itself: the sum of the liked films' rows of EASE's B
    (x·B, as EASE scores a user). A liked film the model does not know adds its published
    list instead, scaled so its best equals the request's best model weight."""
    keys = await _title_keys(store=store, liked=liked)
    known = list(dict.fromkeys(key for key in keys if key is not None))
    entries = dict(zip(known, await store.titles(known, taste=True), strict=True)) if known else {}
    found: list[tuple[dict[str, Any], FilmEntry, TitleEntry]] = []
    unknown: list[str] = []
    taken: set[tuple[str, ...]] = set()
    for item, key in zip(liked, keys, strict=True):
        entry = entries.get(key) if key is not None else None
        asked = _film_asked(liked=item, entry=entry)
        if asked is None or entry is None:
            unknown.append(liked_query(item))
            continue
        title_id, film = asked
        if film.ids in taken:  # the same film named twice counts once
            continue
        taken.add(film.ids)
        query = liked_query(item).strip()
        name = entry.names.get(title_id, key or "")
        taken_as = {"query": query, "id": title_id, "title": name, "year": film.release_year}
        found.append((taken_as, film, entry))
    version = next(iter(entries.values())).version if entries else ""
    if not found:
        raise NotFound(
            f"None of the liked titles is in the catalog: {', '.join(echo(q) for q in unknown)}.",
            parameter="liked",
        )
    liked_ids = {i for _, film, _ in found for i in film.ids}
    rows = [
        (read, film, [entry.taste[i] for i in film.ids if i in entry.taste], entry)
        for read, film, entry in found
    ]
    best_weight = max(
        (n.score for _, _, taste_rows, _ in rows for row in taste_rows for n in row), default=0.0
    )
    model = _Scores(liked_ids)
    for read, film, taste_rows, entry in rows:
        if taste_rows:
            model.add(merge_neighbours(lists=taste_rows, query_ids=set(film.ids)), read["title"])
            continue
        # Scaled so the film weighs as much as one the model knows.
        merged = _published(entry, film)
        scale = best_weight / max(merged[0].score, 1e-9) if best_weight > 0 and merged else 1.0
        model.add(merged, read["title"], scale=scale)
    chosen = model.best(filters, n, exclude=model.liked)
    items = [model.item(key) for key in chosen]
    if len(items) < n:
        # The published lists (deep on every platform) fill what a filter left short.
        lists = _Scores(liked_ids)
        for read, film, _, entry in rows:
            lists.add(_published(entry, film), read["title"])
        more = lists.best(filters, n - len(items), exclude=model.liked | lists.liked | set(chosen))
        items += [lists.item(key) for key in more]
    return Answer(
        {
            "liked": [read for read, _, _ in found],
            "unknown": unknown,
            "model_version": version,
            "items": items,
        },
        version,
    )


def _published(entry: TitleEntry, film: FilmEntry) -> list[Neighbour]:
    """The published lists of a film's records as one."""
    return merge_neighbours(lists=film_lists(entry.lists, film), query_ids=set(film.ids))


class _Scores:
    """Candidates' summed scores over the liked films, and who each comes from."""

    def __init__(self, liked_ids: set[str]) -> None:
        self.liked_ids = liked_ids
        self.totals: dict[str, float] = {}
        self.sources: dict[str, list[tuple[float, str]]] = {}
        self.shown: dict[str, Neighbour] = {}
        self.liked: set[str] = set()

    def add(self, neighbours: list[Neighbour], title: str, *, scale: float = 1.0) -> None:
        for neighbour in neighbours:
            key = film_of(neighbour)
            if neighbour.id in self.liked_ids:
                self.liked.add(key)
                continue
            score = neighbour.score * scale
            self.totals[key] = self.totals.get(key, 0.0) + score
            self.sources.setdefault(key, []).append((score, title))
            self.shown.setdefault(key, neighbour)

    def best(self, filters: NeighbourFilters, n: int, *, exclude: set[str]) -> list[str]:
        """The n best candidates the filters keep (their keys), best first."""
        candidates = (key for key in self.totals if key not in exclude)
        ranked = (self.shown[key] for key in sorted(candidates, key=lambda key: -self.totals[key]))
        return [film_of(neighbour) for neighbour in islice(_kept(ranked, filters), n)]

    def item(self, key: str) -> dict[str, Any]:
        """The TasteItemRead of one candidate: the heaviest liked titles first."""
        weighed = sorted(self.sources[key], key=lambda s: -s[0])
        because = [title for _, title in weighed]
        total = self.totals[key]
        return {
            **neighbour_item(self.shown[key]),
            "score": round(total, 4),
            "because": because,
            "weights": [round(score / total, 4) if total > 0 else 0.0 for score, _ in weighed],
            "reason": f"Because you liked {_and(because)}.",
        }


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


async def current_model(*, store: NeighbourStore) -> ModelRead:
    """The current version's metadata and offline metrics."""
    meta = await store.meta()
    model: dict[str, Any] = dict(meta.get("model") or {})
    return ModelRead.model_validate({**meta, "metrics": model.pop("metrics", None), "model": model})


def _kept(neighbours: Iterable[Neighbour], filters: NeighbourFilters) -> Iterable[Neighbour]:
    """The neighbours on the filters' platforms and for their age, lazily."""
    allowed = {p.value for p in filters.platforms} if filters.platforms else None
    return for_ages(on_platforms(neighbours, allowed), filters.max_age)


def _read(
    neighbours: Iterable[Neighbour], k: int, filters: NeighbourFilters
) -> list[dict[str, Any]]:
    """The best k the filters keep, as contracts.api.NeighbourRead dicts."""
    return [neighbour_item(n) for n in islice(_kept(neighbours, filters), k)]
