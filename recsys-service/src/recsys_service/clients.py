"""NeighbourStore: the read side of the versioned Redis layout, bounded in time."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from contracts.errors import UpstreamUnavailable
from contracts.observability import Metrics
from contracts.redis_layout import (
    TASTE_FIELD_PREFIX,
    FilmEntry,
    Neighbour,
    RedisLayout,
    as_text,
    cut_page,
    decode_films,
    decode_meta,
    decode_neighbours,
)
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from recsys_service.config import Settings

# Adds a version's reads to a pipeline.
Reads = Callable[[Any, str], object]

# The films of several normalised titles and every list and name of their records, read in
# one call from one version's keys (one hash slot, so a cluster runs it too).
# KEYS: title_index, neighbours, titles of that version; ARGV: "1" to read the taste rows
# too (else "0"), then the normalised titles.
# Answers {films per title (nil when unknown), their ids once each in order, each id's
# packed list, each id's name, each id's packed taste row (none unless asked)}.
TITLES_SCRIPT = (
    """
local found, ids, seen = {}, {}, {}
for i = 2, #ARGV do
  local packed = redis.call('HGET', KEYS[1], ARGV[i])
  found[i - 1] = packed
  if packed then
    for _, film in ipairs(cjson.decode(packed)) do
      for _, id in ipairs(film[1]) do
        if not seen[id] then
          seen[id] = true
          ids[#ids + 1] = id
        end
      end
    end
  end
end
local lists, names, tastes = {}, {}, {}
if #ids > 0 then
  lists = redis.call('HMGET', KEYS[2], unpack(ids))
  names = redis.call('HMGET', KEYS[3], unpack(ids))
  if ARGV[1] == '1' then
    local fields = {}
    for i, id in ipairs(ids) do
      fields[i] = '"""
    + TASTE_FIELD_PREFIX
    + """' .. id
    end
    tastes = redis.call('HMGET', KEYS[2], unpack(fields))
  end
end
return {found, ids, lists, names, tastes}
"""
)


def _neighbours(packed: bytes) -> list[Neighbour]:
    return decode_neighbours(packed, loads=orjson.loads)


class NoCurrentVersion(UpstreamUnavailable):
    """Redis answers but nothing was published under the prefix yet."""


@dataclass(frozen=True, slots=True)
class MovieEntry:
    """One catalog movie of the current version and its neighbours (None: no list stored)."""

    version: str
    title: str | None
    neighbours: list[Neighbour] | None


@dataclass(frozen=True, slots=True)
class TitleEntry:
    """The films one normalised title stands for (preferred first), each with the neighbour
    lists of its catalog records."""

    version: str
    films: list[FilmEntry]
    lists: dict[str, list[Neighbour]]
    names: dict[str, str]
    # id -> its sparse row of EASE's B (contracts.redis_layout.taste_field), when asked for.
    taste: dict[str, list[Neighbour]] = field(default_factory=dict)


class NeighbourStore:
    """Resolves `current` once per call, then reads only that version's keys."""

    def __init__(
        self,
        client: "Redis | RedisCluster",
        *,
        layout: RedisLayout,
        timeout_seconds: float,
        metrics: Metrics | None = None,
    ) -> None:
        self.client = client
        self.layout = layout
        self.timeout_seconds = timeout_seconds
        # The version the last call found current: the next call asks for `current` and that
        # version's keys in one round trip, and reads again only if `current` moved.
        self.last_version: str | None = None
        # Registered once: its SHA is known here, the server learns the script on first use.
        self.titles_script: AsyncScript = client.register_script(TITLES_SCRIPT)
        self.latency = (
            metrics.children(
                "redis_read_duration_seconds",
                "Redis reads per request, by operation and outcome.",
                ["operation", "outcome"],
            )
            if metrics is not None
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics | None = None) -> "NeighbourStore":
        """One pooled client for the process; auth and TLS come from the URL (with
        REDIS_CLUSTER, any one node's: redis-py finds the others)."""
        timeout = settings.redis_timeout_seconds
        # One quick retry rides over a connection that died with a Redis restart; the
        # request's deadline (`_bounded`) caps the total whatever the retry does.
        retry = Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1)
        options = {
            "max_connections": settings.redis_max_connections,
            "retry": retry,
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "health_check_interval": settings.redis_health_check_seconds,
        }
        # A pooled connection's wait (`timeout`) counts against the bound too.
        client = (
            RedisCluster.from_url(settings.redis_url, **options)
            if settings.redis_cluster
            else Redis.from_pool(
                BlockingConnectionPool.from_url(settings.redis_url, timeout=timeout, **options)
            )
        )
        return cls(
            client,
            layout=RedisLayout(settings.redis_key_prefix),
            timeout_seconds=timeout,
            metrics=metrics,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    @asynccontextmanager
    async def _bounded(self, operation: str) -> AsyncIterator[None]:
        """Redis down, refusing or slower than the timeout becomes a 503, never a hang or a 500."""
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(self.timeout_seconds):
                yield
            outcome = "ok"
        except TimeoutError as error:  # asyncio's deadline; redis-py's own is a RedisError
            outcome = "timeout"
            raise UpstreamUnavailable(
                f"Redis did not answer within {self.timeout_seconds}s; try again shortly."
            ) from error
        except RedisError as error:
            raise UpstreamUnavailable(
                f"Redis is unavailable ({type(error).__name__}); try again shortly."
            ) from error
        finally:
            if self.latency is not None:
                self.latency(operation, outcome).observe(time.perf_counter() - started)

    async def _current(self) -> str:
        version = await self.client.get(self.layout.current)
        if version is None:
            raise NoCurrentVersion(
                f"No model is published in Redis (no current version under key prefix "
                f"{self.layout.prefix!r}); run `etl-job publish`."
            )
        return as_text(version)

    async def _read(self, reads: Reads) -> tuple[str, list[Any]]:
        """`current` and `reads` of the version it names: one round trip while the version
        is the one last seen, two when it moved (or on the first call)."""
        version = self.last_version
        if version is not None:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(self.layout.current)
                reads(pipe, version)
                current, *results = await pipe.execute()
            if current is not None and as_text(current) == version:
                return version, results
        version = await self._current()
        async with self.client.pipeline(transaction=False) as pipe:
            reads(pipe, version)
            results = await pipe.execute()
        self.last_version = version
        return version, results

    async def page(self, field: str, k: int, *, by_title: bool = False) -> tuple[str, bytes | None]:
        """The stored answer page of a catalog id, or `by_title` of a normalised title, cut at
        k (None: no page, or it holds fewer than k and the answer has more), and its version."""
        pages = self.layout.title_pages if by_title else self.layout.pages
        async with self._bounded("title_page" if by_title else "page"):
            version, (page,) = await self._read(
                lambda pipe, version: pipe.hget(pages(version), field)
            )
        return version, cut_page(page, k) if page is not None else None

    async def movie(self, movie_id: str) -> MovieEntry:
        """The title and neighbour list of one catalog movie id in the current version."""
        async with self._bounded("movie"):
            version, (title, packed) = await self._read(
                lambda pipe, version: (
                    pipe.hget(self.layout.titles(version), movie_id),
                    pipe.hget(self.layout.neighbours(version), movie_id),
                )
            )
        return MovieEntry(
            version=version,
            title=as_text(title) if title is not None else None,
            neighbours=_neighbours(packed) if packed is not None else None,
        )

    def _titles_keys(self, version: str) -> tuple[str, str, str]:
        return (
            self.layout.title_index(version),
            self.layout.neighbours(version),
            self.layout.titles(version),
        )

    async def titles(
        self, normalised_titles: list[str], *, operation: str = "titles", taste: bool = False
    ) -> list[TitleEntry]:
        """The films of several normalised titles and all their lists (`taste`: their taste
        rows too), in one round trip: `current` and the script over that version's keys.

        EVALSHA rides in the pipeline (redis-py's Script object would add a SCRIPT EXISTS round
        trip to each), so a server without the script answers NOSCRIPT once and it is loaded.
        A cluster pipeline refuses EVALSHA: there `current`, then the Script object."""

        def reads(pipe: Any, version: str) -> object:
            keys = self._titles_keys(version)
            return pipe.evalsha(self.titles_script.sha, len(keys), *keys, *args)

        args = ["1" if taste else "0", *normalised_titles]

        async with self._bounded(operation):
            if isinstance(self.client, RedisCluster):
                version = await self._current()
                answer = await self.titles_script(keys=self._titles_keys(version), args=args)
            else:
                try:
                    version, (answer,) = await self._read(reads)
                except NoScriptError:
                    await self.client.script_load(self.titles_script.script)
                    version, (answer,) = await self._read(reads)
        packed_films, raw_ids, packed_lists, names, packed_tastes = answer
        ids = [as_text(raw) for raw in raw_ids]
        lists = {i: _neighbours(p) for i, p in zip(ids, packed_lists, strict=True) if p is not None}
        titles = {i: as_text(name) for i, name in zip(ids, names, strict=True) if name is not None}
        # No taste rows asked: the script answers none.
        tastes = {
            i: _neighbours(p) for i, p in zip(ids, packed_tastes, strict=False) if p is not None
        }
        entries = []
        for packed in packed_films:
            films = decode_films(packed) if packed is not None else []
            own = [i for film in films for i in film.ids]
            entries.append(
                TitleEntry(
                    version=version,
                    films=films,
                    lists={i: lists[i] for i in own if i in lists},
                    names={i: titles[i] for i in own if i in titles},
                    taste={i: tastes[i] for i in own if i in tastes},
                )
            )
        return entries

    async def meta(self) -> dict[str, Any]:
        """What the ETL stored about the current version: model metadata and metrics."""
        async with self._bounded("meta"):
            version = await self._current()
            packed = await self.client.get(self.layout.meta(version))
        if packed is None:
            raise NoCurrentVersion(
                f"Model version {version} has no metadata in Redis; run `etl-job publish`."
            )
        return {"version": version, **decode_meta(packed)}

    async def current_version(self) -> str:
        """The current version id, its keys present; 503 saying why when it cannot serve."""
        async with self._bounded("current_version"):
            version = await self._current()
            if not await self.client.exists(self.layout.meta(version)):
                raise NoCurrentVersion(
                    f"Model version {version} is current in Redis but its keys are gone; run "
                    "`etl-job publish`."
                )
            return version
