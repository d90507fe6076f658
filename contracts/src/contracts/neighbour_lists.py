"""The answers of the neighbour lists, defined once: the ETL builds its stored pages with these
functions and recsys-service the answers it must decode lists for, so the two cannot drift."""

from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any

from contracts.audience import MaxAge, within
from contracts.redis_layout import FilmEntry, Neighbour
from contracts.titles import film_key, normalise_title


def film_of(neighbour: Neighbour) -> str:
    """The film a neighbour row names (same normalised title, year and type)."""
    return film_key(neighbour.title, neighbour.release_year, neighbour.type)


def merge_neighbours(*, lists: list[list[Neighbour]], query_ids: set[str]) -> list[Neighbour]:
    """One list from several: drop the query film itself, keep each film's best score, rank."""
    best: dict[str, Neighbour] = {}
    own: set[str] = set()
    for neighbours in lists:
        for neighbour in neighbours:
            key = film_of(neighbour)
            if neighbour.id in query_ids:
                own.add(key)
                continue
            kept = best.get(key)
            if kept is None or neighbour.score > kept.score:
                best[key] = neighbour
    # Stable sort: equal scores keep the order the lists gave them.
    return sorted((n for key, n in best.items() if key not in own), key=lambda n: -n.score)


def best_neighbours(*, lists: list[list[Neighbour]], query_ids: set[str]) -> Iterator[Neighbour]:
    """merge_neighbours' answer, lazily: one list ranked best first (as the ETL publishes
    them) is walked only as far as the caller reads, keying ~k films instead of all ~60."""
    if len(lists) != 1 or not _ranked(lists[0]):
        yield from merge_neighbours(lists=lists, query_ids=query_ids)
        return
    ranked = lists[0]
    # As merge_neighbours: a film listed under one of the query's ids is the query film.
    own = {film_of(n) for n in ranked if n.id in query_ids}
    seen: set[str] = set()
    for neighbour in ranked:
        if neighbour.id in query_ids:
            continue
        key = film_of(neighbour)
        # Ranked: a film's first row has its best score, and first rows come out in
        # merge_neighbours' (stable) order.
        if key not in seen and key not in own:
            seen.add(key)
            yield neighbour


def _ranked(neighbours: list[Neighbour]) -> bool:
    return all(a.score >= b.score for a, b in pairwise(neighbours))


def movie_neighbours(
    *, movie_id: str, title: str, neighbours: list[Neighbour]
) -> Iterator[Neighbour]:
    """A catalog record's neighbours as its title page lists them, best first, never its own
    title (which older lists may name on another platform)."""
    own = normalise_title(title)
    return (
        n
        for n in best_neighbours(lists=[neighbours], query_ids={movie_id})
        if normalise_title(n.title) != own
    )


def film_lists(lists: dict[str, list[Neighbour]], film: FilmEntry) -> list[list[Neighbour]]:
    """The stored lists of a film's records (a record without a list adds none)."""
    return [lists[i] for i in film.ids if i in lists]


def pick_film(
    films: list[FilmEntry], *, kind: str | None = None, year: int | None = None
) -> FilmEntry | None:
    """The film a title means: the first (a movie before a show, the most rated, the newest)
    of those matching the type and year asked for."""
    matching = [
        f
        for f in films
        if (kind is None or f.type == kind) and (year is None or f.release_year == year)
    ]
    return matching[0] if matching else None


def film_read(film: FilmEntry) -> dict[str, Any]:
    """A contracts.api.FilmRead."""
    return {"ids": list(film.ids), "type": film.type, "release_year": film.release_year}


def neighbour_item(n: Neighbour) -> dict[str, Any]:
    """A contracts.api.NeighbourRead as a plain dict, in the model's field order."""
    return {
        "id": n.id,
        "title": n.title,
        "score": n.score,
        "reason": n.reason,
        "type": n.type,
        "release_year": n.release_year,
        "available_on": list(n.available_on),
    }


def for_ages(neighbours: Iterable[Neighbour], max_age: MaxAge | None) -> Iterable[Neighbour]:
    """Only the films whose age band passes `max_age` (all when None), lazily."""
    if max_age is None:
        return neighbours
    return (n for n in neighbours if within(n.age_band, max_age))


def on_platforms(neighbours: Iterable[Neighbour], allowed: set[str] | None) -> Iterable[Neighbour]:
    """Only the films available on at least one of `allowed` (all when None), lazily."""
    if not allowed:
        return neighbours
    return (n for n in neighbours if allowed.intersection(n.available_on))
