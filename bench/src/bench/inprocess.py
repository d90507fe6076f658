"""In-process costs: each catalog query (µs per call) and a Redis neighbour read (µs per read)."""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import uvloop
from catalog_service.index import CatalogIndex
from contracts.redis_layout import RedisLayout, decode_neighbours
from contracts.titles import normalise_title
from recsys_service.clients import NeighbourStore
from recsys_service.config import Settings as RecsysSettings

from bench.targets import CATALOG_ROUTES, Query, catalog_call


@dataclass(frozen=True)
class Cost:
    name: str
    micros: float  # median over repeats of the mean cost per call
    calls: int


def _per_call(calls: list[Callable[[], object]], *, repeats: int = 5,
              min_seconds: float = 0.05) -> tuple[float, int]:
    means, total = [], 0
    for _ in range(repeats):
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < min_seconds or count == 0:
            for call in calls:
                call()
            count += len(calls)
        means.append(elapsed / count * 1e6)
        total += count
    return statistics.median(means), total


def catalog_costs(index: CatalogIndex, queries: dict[str, list[Query]]) -> list[Cost]:
    """The catalog service's function behind each catalog route, over that route's queries."""
    costs = []
    for route in CATALOG_ROUTES:
        micros, calls = _per_call([catalog_call(index, query) for query in queries[route]])
        costs.append(Cost(route, micros, calls))
    return costs


async def _per_await(calls: list[Callable[[], Awaitable[object]]], *,
                     rounds: int = 5) -> tuple[float, int]:
    means = []
    for _ in range(rounds):
        started = time.perf_counter()
        for call in calls:
            await call()
        means.append((time.perf_counter() - started) / len(calls) * 1e6)
    return statistics.median(means), rounds * len(calls)


async def _redis_costs(redis_url: str, key_prefix: str, movie_ids: list[str],
                       titles: list[str]) -> list[Cost]:
    store = NeighbourStore.from_settings(
        RecsysSettings(redis_url=redis_url, redis_key_prefix=key_prefix))
    layout = RedisLayout(key_prefix)
    try:
        version = await store.current_version()
        fetched = [await store.client.hget(layout.neighbours(version), movie_id)
                   for movie_id in movie_ids]
        packed = [value for value in fetched if value is not None]
        keys = [normalise_title(title) for title in titles]
        results = []
        timed: list[tuple[str, list[Callable[[], Awaitable[object]]]]] = [
            ("raw HGET of one packed neighbour list",
             [partial(store.client.hget, layout.neighbours(version), m) for m in movie_ids]),
            ("NeighbourStore.movie (current + pipelined title/list, decoded)",
             [partial(store.movie, m) for m in movie_ids]),
            ("NeighbourStore.title (current, index, lists, decoded)",
             [partial(store.title, k) for k in keys]),
        ]
        for name, calls in timed:
            micros, count = await _per_await(calls)
            results.append(Cost(name, micros, count))
        micros, count = _per_call([partial(decode_neighbours, p) for p in packed])
        results.append(Cost("decode one packed list of 20 (zlib + JSON)", micros, count))
        return results
    finally:
        await store.aclose()


def redis_costs(redis_url: str, key_prefix: str, movie_ids: list[str],
                titles: list[str]) -> list[Cost]:
    """Sequential awaits on uvloop, as the recsys service runs them: one read at a time."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_redis_costs(redis_url, key_prefix, movie_ids, titles))
