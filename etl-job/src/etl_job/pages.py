"""The pages a version carries: each unfiltered answer of recsys-service, pre-serialised.

A page is the JSON recsys-service would answer for GET /v1/neighbours/{id} (or, after its
`query` field, for GET /v1/neighbours?title=) with no filter, built here from the same
functions the service uses (contracts.neighbour_lists) over the lists exactly as the service
decodes them, and encoded by the same encoder (orjson): the common request is then one HGET
whose bytes go out as they are.
"""

from collections.abc import Iterator
from itertools import islice
from typing import Any

import orjson
from contracts.neighbour_lists import (
    best_neighbours,
    film_lists,
    film_read,
    movie_neighbours,
    neighbour_item,
    pick_film,
)
from contracts.redis_layout import PAGE_NEIGHBOURS, FilmEntry, Neighbour, pack_page

NEIGHBOURS_OPEN = b',"neighbours":['


def _page(head: dict[str, Any], neighbours: Iterator[Neighbour], *, lead: bytes) -> bytes:
    """`lead` + the head's fields + the first PAGE_NEIGHBOURS neighbours, packed."""
    first = list(islice(neighbours, PAGE_NEIGHBOURS + 1))
    items = [orjson.dumps(neighbour_item(n)) for n in first[:PAGE_NEIGHBOURS]]
    body = lead + orjson.dumps(head)[1:-1] + NEIGHBOURS_OPEN
    return pack_page(body, items, complete=len(first) <= PAGE_NEIGHBOURS)


def movie_page(*, version: str, movie_id: str, title: str, neighbours: list[Neighbour]) -> bytes:
    """GET /v1/neighbours/{movie_id}'s answer (contracts.api.MovieNeighboursRead)."""
    return _page(
        {"movie_id": movie_id, "title": title, "model_version": version},
        movie_neighbours(movie_id=movie_id, title=title, neighbours=neighbours),
        lead=b"{",
    )


def title_page(
    *, version: str, films: list[FilmEntry], lists: dict[str, list[Neighbour]]
) -> bytes | None:
    """GET /v1/neighbours?title='s answer (contracts.api.TitleNeighboursRead) for the film a
    bare title means, from the comma before `matched_ids` on: the service puts the query
    first. None when the title names no film."""
    film = pick_film(films)
    if film is None:
        return None
    head = {
        "matched_ids": list(film.ids),
        "film": film_read(film),
        "others": [film_read(f) for f in films if f is not film],
        "model_version": version,
    }
    return _page(
        head, best_neighbours(lists=film_lists(lists, film), query_ids=set(film.ids)), lead=b","
    )
