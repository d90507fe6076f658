"""Neighbour lookups by id and by title, platform filters, and the taste of several titles.

Answers are built as plain dicts in the contracts.api shapes (MovieNeighboursRead,
TitleNeighboursRead, TasteRead) and encoded once by the route, without a model object per
neighbour.
"""

from collections.abc import Collection, Iterable, Iterator
from itertools import islice, pairwise
from typing import Any

from contracts.api import ModelRead
from contracts.domain import Platform
from contracts.errors import InvalidParameter, NotFound, echo
from contracts.redis_layout import FilmEntry, Neighbour
from contracts.titles import film_key, normalise_title

from recsys_service.clients import NeighbourStore, TitleEntry


def _film(neighbour: Neighbour) -> str:
    return film_key(neighbour.title, neighbour.release_year, neighbour.type)


def on_platforms(neighbours: Iterable[Neighbour],
                 platforms: Collection[Platform] | None) -> Iterable[Neighbour]:
    """Only the films available on at least one of `platforms` (all when none given), lazily."""
    if not platforms:
        return neighbours
    allowed = {p.value for p in platforms}
    return (n for n in neighbours if allowed.intersection(n.available_on))


async def neighbours_for_movie(*, store: NeighbourStore, movie_id: str, k: int,
                               platforms: Collection[Platform] | None = None,
                               ) -> dict[str, Any]:
    """The k best neighbours of one catalog id; 404 when the id has no list."""
    entry = await store.movie(movie_id)
    if entry.title is None:
        raise NotFound(f"No catalog title has id {echo(movie_id)} in model version "
                       f"{entry.version}.",
                       parameter="movie_id")
    # Lists published before film identity may name the movie's own title on another
    # platform: a title page never recommends its own title.
    own = normalise_title(entry.title)
    neighbours = (n for n in best_neighbours(lists=[entry.neighbours or []],
                                             query_ids={movie_id})
                  if normalise_title(n.title) != own)
    return {"movie_id": movie_id, "title": entry.title, "model_version": entry.version,
            "neighbours": _read(on_platforms(neighbours, platforms), k)}


def pick_film(films: list[FilmEntry], *, kind: str | None = None,
              year: int | None = None) -> FilmEntry | None:
    """The film a title means: the first (a movie before a show, the most rated, the newest)
    of those matching the type and year asked for."""
    matching = [f for f in films if (kind is None or f.type == kind)
                and (year is None or f.release_year == year)]
    return matching[0] if matching else None


def _film_read(film: FilmEntry) -> dict[str, Any]:
    """A contracts.api.FilmRead."""
    return {"ids": list(film.ids), "type": film.type, "release_year": film.release_year}


def _no_film(title: str, films: list[FilmEntry], kind: str | None, year: int | None) -> NotFound:
    if not films:
        return NotFound(f"No catalog title is titled {echo(title)}.", parameter="title")
    asked = " ".join(str(part) for part in (kind, year) if part is not None)
    known = ", ".join(f"{f.type} {f.release_year}" for f in films)
    parameter = "year" if year is not None else "type"
    return NotFound(f"{echo(title)} is in the catalog, but not as {asked}: it is {known}.",
                    parameter=parameter)


def _key(title: str) -> str:
    key = normalise_title(title.strip())
    if not key:
        raise InvalidParameter(f"Parameter 'title' got {echo(title)}, but it has no letters "
                               "or digits.",
                               parameter="title")
    return key


async def neighbours_for_title(*, store: NeighbourStore, title: str, k: int,
                               platforms: Collection[Platform] | None = None,
                               kind: str | None = None,
                               year: int | None = None) -> dict[str, Any]:
    """The k best neighbours of the film a title means (case, accents, punctuation forgiven);
    `kind` and `year` pick another film of the same title."""
    title = title.strip()
    entry = await store.title(_key(title))
    film = pick_film(entry.films, kind=kind, year=year)
    if film is None:
        raise _no_film(title, entry.films, kind, year)
    merged = best_neighbours(lists=_lists(entry, film), query_ids=set(film.ids))
    return {"query": title, "matched_ids": list(film.ids), "film": _film_read(film),
            "others": [_film_read(f) for f in entry.films if f is not film],
            "model_version": entry.version,
            "neighbours": _read(on_platforms(merged, platforms), k)}


def _lists(entry: TitleEntry, film: FilmEntry) -> list[list[Neighbour]]:
    return [entry.lists[i] for i in film.ids if i in entry.lists]


def merge_neighbours(*, lists: list[list[Neighbour]], query_ids: set[str]) -> list[Neighbour]:
    """One list from several: drop the query film itself, keep each film's best score, rank."""
    best: dict[str, Neighbour] = {}
    own: set[str] = set()
    for neighbours in lists:
        for neighbour in neighbours:
            key = _film(neighbour)
            if neighbour.id in query_ids:
                own.add(key)
                continue
            kept = best.get(key)
            if kept is None or neighbour.score > kept.score:
                best[key] = neighbour
    # Stable sort: equal scores keep the order the lists gave them.
    return sorted((n for key, n in best.items() if key not in own), key=lambda n: -n.score)


def best_neighbours(*, lists: list[list[Neighbour]], query_ids: set[str]
                    ) -> Iterator[Neighbour]:
    """merge_neighbours' answer, lazily: one list ranked best first (as the ETL publishes
    them) is walked only as far as the caller reads, keying ~k films instead of all ~60."""
    if len(lists) != 1 or not _ranked(lists[0]):
        yield from merge_neighbours(lists=lists, query_ids=query_ids)
        return
    ranked = lists[0]
    # As merge_neighbours: a film listed under one of the query's ids is the query film.
    own = {_film(n) for n in ranked if n.id in query_ids}
    seen: set[str] = set()
    for neighbour in ranked:
        if neighbour.id in query_ids:
            continue
        key = _film(neighbour)
        # Ranked: a film's first row has its best score, and first rows come out in
        # merge_neighbours' (stable) order.
        if key not in seen and key not in own:
            seen.add(key)
            yield neighbour


def _ranked(neighbours: list[Neighbour]) -> bool:
    return all(a.score >= b.score for a, b in pairwise(neighbours))


async def taste(*, store: NeighbourStore, liked: list[str],
                platforms: Collection[Platform] | None, n: int) -> dict[str, Any]:
    """The n best films for someone who liked these titles: each candidate's score is the sum
    of its scores in the liked films' lists (how EASE scores a user), never a liked film."""
    queries = list(dict.fromkeys(title.strip() for title in liked))
    keys = [_key(title) for title in queries]
    entries = await store.titles(keys)
    found: list[tuple[dict[str, str], FilmEntry, TitleEntry]] = []
    unknown: list[str] = []
    for query, entry in zip(queries, entries, strict=True):
        film = pick_film(entry.films)
        if film is None:
            unknown.append(query)
            continue
        name = entry.names.get(film.ids[0], normalise_title(query))
        found.append(({"query": query, "id": film.ids[0], "title": name}, film, entry))
    version = entries[0].version if entries else ""
    if not found:
        raise NotFound("None of the liked titles is in the catalog: "
                       f"{', '.join(echo(q) for q in unknown)}.", parameter="liked")
    liked_ids = {i for _, film, _ in found for i in film.ids}
    totals: dict[str, float] = {}
    sources: dict[str, list[tuple[float, str]]] = {}
    shown: dict[str, Neighbour] = {}
    liked_films: set[str] = set()
    for read, film, entry in found:
        merged = merge_neighbours(lists=_lists(entry, film), query_ids=set(film.ids))
        for neighbour in merged:
            if neighbour.id in liked_ids:
                liked_films.add(_film(neighbour))
                continue
            key = _film(neighbour)
            totals[key] = totals.get(key, 0.0) + neighbour.score
            sources.setdefault(key, []).append((neighbour.score, read["title"]))
            shown.setdefault(key, neighbour)
    ranked = sorted((key for key in totals if key not in liked_films),
                    key=lambda key: -totals[key])
    allowed = {p.value for p in platforms} if platforms else None
    items: list[dict[str, Any]] = []
    for key in ranked:
        neighbour = shown[key]
        if allowed is not None and not allowed.intersection(neighbour.available_on):
            continue
        because = [title for _, title in sorted(sources[key], key=lambda s: -s[0])]
        items.append({**_item(neighbour), "score": round(totals[key], 4), "because": because,
                      "reason": f"because you liked {_and(because)}"})
        if len(items) == n:
            break
    return {"liked": [read for read, _, _ in found], "unknown": unknown,
            "model_version": version, "items": items}


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


async def current_model(*, store: NeighbourStore) -> ModelRead:
    """The current version's metadata and offline metrics."""
    meta = await store.meta()
    model: dict[str, Any] = dict(meta.get("model") or {})
    return ModelRead(version=meta["version"], published_at=meta.get("published_at"),
                     movies=meta.get("movies"),
                     movies_with_neighbours=meta.get("movies_with_neighbours"),
                     metrics=model.pop("metrics", None), model=model)


def _item(n: Neighbour) -> dict[str, Any]:
    """A contracts.api.NeighbourRead, ready for orjson."""
    return {"id": n.id, "title": n.title, "score": n.score, "reason": n.reason, "type": n.type,
            "release_year": n.release_year, "available_on": list(n.available_on)}


def _read(neighbours: Iterable[Neighbour], k: int) -> list[dict[str, Any]]:
    """The best k as contracts.api.NeighbourRead objects."""
    return [_item(n) for n in islice(neighbours, k)]
