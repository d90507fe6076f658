"""Pre-serialised answers and the one-round-trip taste read.

The pages a version carries must answer byte for byte what recsys answers from the decoded
lists: the same version is asked with its pages and again with them removed (recsys then
decodes, as for a version published before pages existed).
"""

import json
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import polars as pl
import pytest
import redis
from contracts.redis_layout import (
    PAGE_NEIGHBOURS,
    PAGE_TAIL,
    RedisLayout,
    cut_page,
    decode_films,
    decode_neighbours,
    pack_page,
)
from contracts.titles import normalise_title
from etl_job.films import film_table
from etl_job.publish import publish_neighbours
from recsys_service.clients import NeighbourStore
from recsys_service.config import Settings
from recsys_service.main import create_app
from redis.asyncio.connection import AbstractConnection
from testkit.apps import AppClient
from testkit.stored import stored

from harness import RedisServer

WORDS = ["heat", "Heat!", "alien", "the matrix", "amélie", "amelie", "toy story", "up",
         "les misérables", "dark", "the office"]


@pytest.mark.parametrize("count", [0, 1, 3, PAGE_NEIGHBOURS])
@pytest.mark.parametrize("complete", [True, False])
def test_a_page_cut_at_k_is_the_answer_with_k_neighbours(count: int, complete: bool) -> None:
    items = [json.dumps({"id": f"x{i}", "title": "é\"ë", "score": 1 / (i + 1)},
                        ensure_ascii=False).encode() for i in range(count)]
    head = b'{"movie_id":"x","neighbours":['
    packed = pack_page(head, items, complete=complete)
    for k in range(1, count + 3):
        cut = cut_page(packed, k)
        if k > count and not complete:
            assert cut is None
            continue
        assert cut is not None
        assert json.loads(cut) == {"movie_id": "x",
                                   "neighbours": [json.loads(i) for i in items[:k]]}
        assert cut.endswith(PAGE_TAIL)


def _random_model(seed: int, movies: int = 120
                  ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """Titles that collide (one film on several platforms, one title for films of other
    years and types, titles that normalise alike), lists with tied scores, the query's own
    film among its neighbours, lists longer than a page and lists of one row."""
    rng = random.Random(seed)
    platforms = ["a", "d", "h", "n"]
    rows: list[dict[str, Any]] = []
    for i in range(movies):
        word = rng.choice(WORDS)
        rows.append({"id": f"{rng.choice(platforms)}s{i}", "title": f"{word} {i % 40}",
                     "type": rng.choice(["movie", "movie", "tv show"]),
                     "release_year": rng.choice([1995, 1995, 2001, 2012]),
                     "rating_count": rng.randint(0, 5)})
    for row in rows:
        row["platform"] = {"a": "amazon", "d": "disney", "h": "hulu",
                           "n": "netflix"}[row["id"][0]]
    catalog = pl.DataFrame(rows, schema={"id": pl.String, "title": pl.String,
                                         "type": pl.String, "release_year": pl.Int32,
                                         "rating_count": pl.Int32, "platform": pl.String})
    ids = [row["id"] for row in rows]
    neighbours = []
    for movie in ids:
        if rng.random() < 0.1:
            continue  # a record without a list
        others = rng.sample([i for i in ids if i != movie], rng.choice([1, 5, 30, 60]))
        scores = sorted((rng.choice([0.9, 0.5, 0.5, round(rng.random(), 6)])
                         for _ in others), reverse=True)
        neighbours += [{"movie_id": movie, "rank": rank, "neighbour_id": other,
                        "score": score, "reason": f"r{rank}"}
                       for rank, (other, score) in enumerate(zip(others, scores, strict=True),
                                                             start=1)]
    frame = pl.DataFrame(neighbours, schema={"movie_id": pl.String, "rank": pl.Int32,
                                             "neighbour_id": pl.String, "score": pl.Float64,
                                             "reason": pl.String})
    return film_table(catalog), frame, {row["id"]: row["title"] for row in rows}


@pytest.fixture
async def recsys(redis_server: Any, prefix: str,
                 app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(redis_url=redis_server.url, redis_key_prefix=prefix,
                              redis_timeout_seconds=5))
    async with app_client(app, base_url="http://recsys") as http:
        yield http


async def _answers(recsys: httpx.AsyncClient, asks: list[tuple[str, dict[str, Any]]]
                   ) -> list[tuple[int, bytes, str | None]]:
    found = []
    for path, params in asks:
        response = await recsys.get(path, params=params)
        found.append((response.status_code, response.content,
                      response.headers.get("x-data-version")))
    return found


@pytest.mark.parametrize("seed", [1, 2])
async def test_pages_answer_byte_for_byte_what_the_decoded_lists_answer(
        seed: int, publish: Callable[..., str], recsys: httpx.AsyncClient,
        redis_client: redis.Redis, prefix: str) -> None:
    titles, neighbours, names = _random_model(seed)
    version = publish(titles=titles, neighbours=neighbours)
    layout = RedisLayout(prefix)
    assert redis_client.hlen(layout.pages(version)) == len(names)
    rng = random.Random(seed)
    asks: list[tuple[str, dict[str, Any]]] = []
    for movie_id, title in names.items():
        for k in (1, rng.randint(2, PAGE_NEIGHBOURS), PAGE_NEIGHBOURS, PAGE_NEIGHBOURS + 1):
            asks.append((f"/v1/neighbours/{movie_id}", {"k": k}))
            # The query as a person types it: its own case and spacing, echoed as given.
            asks.append(("/v1/neighbours", {"title": f"  {title.upper()} ", "k": k}))
    asks += [("/v1/neighbours/zz404", {"k": 5}), ("/v1/neighbours", {"title": "no such film"})]

    with_pages = await _answers(recsys, asks)
    assert redis_client.unlink(layout.pages(version), layout.title_pages(version)) == 2
    decoded = await _answers(recsys, asks)

    assert with_pages == decoded
    statuses = [status for status, _, _ in with_pages]
    assert statuses.count(404) == 2
    assert statuses.count(200) == len(asks) - 2
    # Some answers go deeper than a page (k = PAGE_NEIGHBOURS + 1 decodes the lists).
    longest = max(len(json.loads(body)["neighbours"]) for status, body, _ in with_pages
                  if status == 200)
    assert longest > PAGE_NEIGHBOURS


async def test_a_title_page_is_the_film_a_bare_title_means(
        publish: Callable[..., str], redis_client: redis.Redis, prefix: str,
        recsys: httpx.AsyncClient) -> None:
    titles, neighbours, _ = _random_model(3)
    version = publish(titles=titles, neighbours=neighbours)
    layout = RedisLayout(prefix)
    keys = {normalise_title(t) for t in titles["title"].to_list()}
    assert redis_client.hlen(layout.title_pages(version)) == len(keys)
    key = sorted(keys)[0]
    films = decode_films(stored(redis_client.hget(layout.title_index(version), key)))
    response = await recsys.get("/v1/neighbours", params={"title": key, "k": 3})
    body = response.json()
    assert body["query"] == key
    assert body["matched_ids"] == list(films[0].ids)
    assert body["others"] == [{"ids": list(f.ids), "type": f.type,
                               "release_year": f.release_year} for f in films[1:]]
    assert response.headers["x-data-version"] == body["model_version"] == version


# --- one round trip for the taste's lookups -------------------------------------------------


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts what the async clients send: one packed send is one round trip."""
    sent: list[int] = []
    real = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, command: Any, check_health: bool = True
                       ) -> None:
        sent.append(1)
        await real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


def _two_step_read(client: redis.Redis, layout: RedisLayout, version: str,
                   keys: list[str]) -> list[tuple[list[Any], dict[str, list[Any]],
                                                  dict[str, str]]]:
    """What the store read before the script: the title index, then the lists and names."""
    found = [decode_films(stored(p)) if p is not None else []
             for p in client.hmget(layout.title_index(version), keys)]
    out = []
    for films in found:
        ids = [i for film in films for i in film.ids]
        lists = {i: decode_neighbours(stored(p)) for i, p
                 in zip(ids, client.hmget(layout.neighbours(version), ids) if ids else [],
                        strict=True) if p is not None}
        names = {i: stored(n).decode() for i, n
                 in zip(ids, client.hmget(layout.titles(version), ids) if ids else [],
                        strict=True) if n is not None}
        out.append((films, lists, names))
    return out


async def test_the_taste_lookup_is_one_round_trip_with_the_same_answers(
        own_redis: RedisServer, round_trips: list[int]) -> None:
    titles, neighbours, names = _random_model(4)
    prefix = "taste-trips"
    version = publish_neighbours(redis_url=own_redis.url, key_prefix=prefix,
                                 neighbours=neighbours, titles=titles, meta={})
    layout = RedisLayout(prefix)
    keys = sorted({normalise_title(t) for t in names.values()})[:20]
    keys[-1] = "no such film"
    client = redis.Redis.from_url(own_redis.url)
    try:
        client.script_flush()  # this test's own server: the store meets NOSCRIPT first
        expected = _two_step_read(client, layout, version, keys)
    finally:
        client.close()
    store = NeighbourStore.from_settings(Settings(redis_url=own_redis.url,
                                                  redis_key_prefix=prefix,
                                                  redis_health_check_seconds=0))
    try:
        first = await store.titles(keys)  # loads the script, learns the version
        round_trips.clear()
        again = await store.titles(keys)
        assert len(round_trips) == 1
        round_trips.clear()
        await store.titles(keys[:1])
        assert len(round_trips) == 1
    finally:
        await store.aclose()
    for entries in (first, again):
        assert [(e.films, e.lists, e.names) for e in entries] == expected
        assert {e.version for e in entries} == {version}
    assert expected[-1] == ([], {}, {})
    assert sum(len(lists) for _, lists, _ in expected) > 10
