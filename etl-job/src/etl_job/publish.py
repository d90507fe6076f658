"""Publish neighbour lists to Redis as a new version, switch `current` atomically, roll back."""

import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Any

import polars as pl
import redis
from contracts.redis_layout import (
    LAYOUT_VERSION,
    MAX_NEIGHBOURS,
    Neighbour,
    RedisLayout,
    encode_ids,
    encode_meta,
    encode_neighbours,
)
from contracts.titles import normalise_title

logger = logging.getLogger(__name__)

CHUNK_FIELDS = 1000  # hash fields per HSET: one round trip each, a bounded client buffer
DEFAULT_EXPIRE_SECONDS = 3600  # dropped versions linger an hour: in-flight readers finish
# A version being written carries this TTL until it is committed, so a run that dies without
# cleaning up (SIGKILL, lost connection) leaves nothing behind for long.
DEFAULT_BUILD_TTL_SECONDS = 3600

NEIGHBOUR_COLUMNS = {"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
                     "score": pl.Float64, "reason": pl.String}
TITLE_COLUMNS = {"id": pl.String, "title": pl.String}


class PublishError(RuntimeError):
    """A version could not be committed; `current` was left as it was."""


class RollbackUnavailable(RuntimeError):
    """There is no earlier version to roll back to."""


def publish_neighbours(*, redis_url: str, key_prefix: str, neighbours: pl.DataFrame,
                       titles: pl.DataFrame, meta: dict[str, Any], keep_versions: int = 2,
                       expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
                       build_ttl_seconds: int = DEFAULT_BUILD_TTL_SECONDS) -> str:
    """Write a new version's keys in pipelined chunks, then make it `current`; return its id."""
    if keep_versions < 1:
        raise ValueError(f"keep_versions must be 1 or more, got {keep_versions}.")
    neighbours, titles = _checked_frames(neighbours=neighbours, titles=titles)
    layout = RedisLayout(key_prefix)
    version = _new_version_id()
    started = time.perf_counter()
    packed = dict(_packed_neighbours(neighbours=neighbours, titles=titles))
    title_items = dict(zip(titles["id"].to_list(), titles["title"].to_list(), strict=True))
    index = _title_index(titles)
    version_meta = {"version": version, "layout_version": LAYOUT_VERSION,
                    "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "movies": len(title_items), "movies_with_neighbours": len(packed),
                    "neighbour_rows": neighbours.height, "model": meta}
    client = _client(redis_url)
    try:
        _write_hash(client, layout.neighbours(version), packed, build_ttl_seconds)
        _write_hash(client, layout.titles(version), title_items, build_ttl_seconds)
        _write_hash(client, layout.title_index(version), index, build_ttl_seconds)
        client.set(layout.meta(version), encode_meta(version_meta), ex=build_ttl_seconds)
        expected = {layout.neighbours(version): len(packed),
                    layout.titles(version): len(title_items),
                    layout.title_index(version): len(index)}
        client.transaction(
            lambda pipe: _commit(pipe, layout=layout, version=version, expected=expected,
                                 keep_versions=keep_versions, expire_seconds=expire_seconds),
            layout.current, layout.versions)
    except BaseException:
        _discard(client, layout=layout, version=version)
        raise
    finally:
        client.close()
    logger.info("published version %s: %d movies, %d neighbour rows in %.2fs", version,
                len(packed), neighbours.height, time.perf_counter() - started)
    return version


def rollback(*, redis_url: str, key_prefix: str,
             expire_seconds: int = DEFAULT_EXPIRE_SECONDS) -> str:
    """Make the previous version current again and expire the one it replaces; return its id."""
    layout = RedisLayout(key_prefix)
    client = _client(redis_url)
    try:
        return client.transaction(
            lambda pipe: _rollback(pipe, layout=layout, expire_seconds=expire_seconds),
            layout.current, layout.versions, value_from_callable=True)
    finally:
        client.close()


def current_version(*, redis_url: str, key_prefix: str) -> str | None:
    """The version readers use now, or None when nothing was published under the prefix."""
    client = _client(redis_url)
    try:
        value = client.get(RedisLayout(key_prefix).current)
    finally:
        client.close()
    return value.decode() if value is not None else None


def committed_versions(*, redis_url: str, key_prefix: str) -> list[str]:
    """Versions kept for rollback, newest (current) first."""
    client = _client(redis_url)
    try:
        layout = RedisLayout(key_prefix)
        return _committed(client, layout)
    finally:
        client.close()


def _client(redis_url: str) -> redis.Redis:
    # Auth and TLS come from the URL (redis://user:pass@host, rediss://...).
    return redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)


def _new_version_id() -> str:
    # Sortable by time for humans; the random tail keeps two runs in one second apart.
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(3)}"


def _checked_frames(*, neighbours: pl.DataFrame,
                    titles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Refuse inputs that would publish a broken version, before any key is written."""
    for name, frame, columns in (("neighbours", neighbours, NEIGHBOUR_COLUMNS),
                                 ("titles", titles, TITLE_COLUMNS)):
        missing = sorted(set(columns) - set(frame.columns))
        if missing:
            raise ValueError(f"{name} frame lacks columns {missing}; it needs {list(columns)}.")
    neighbours = neighbours.select(
        [pl.col(c).cast(t, strict=True) for c, t in NEIGHBOUR_COLUMNS.items()]
    ).with_columns(pl.col("reason").fill_null(""))
    titles = titles.select([pl.col(c).cast(t, strict=True) for c, t in TITLE_COLUMNS.items()])
    if titles.height == 0 or neighbours.height == 0:
        raise ValueError("Refusing to publish an empty model: titles and neighbours need rows.")
    if titles.null_count().sum_horizontal().item() or titles["id"].is_duplicated().any():
        raise ValueError("titles must have one non-null title per unique, non-null id.")
    if titles["id"].str.contains(",", literal=True).any():
        raise ValueError("titles ids must not contain ',' (the title index joins ids with it).")
    key_nulls = neighbours.select("movie_id", "rank", "neighbour_id", "score").null_count()
    if key_nulls.sum_horizontal().item():
        raise ValueError("neighbours has nulls in movie_id, rank, neighbour_id or score.")
    if not neighbours["rank"].is_between(1, MAX_NEIGHBOURS).all():
        raise ValueError(f"neighbours rank must be between 1 and {MAX_NEIGHBOURS}.")
    if neighbours.select(pl.struct("movie_id", "rank").is_duplicated().any()).item():
        raise ValueError("neighbours has a (movie_id, rank) pair twice.")
    if (neighbours["movie_id"] == neighbours["neighbour_id"]).any():
        raise ValueError("neighbours lists a movie as its own neighbour.")
    known = titles["id"].implode()
    unknown = neighbours.filter(~pl.col("movie_id").is_in(known)
                                | ~pl.col("neighbour_id").is_in(known))
    if unknown.height:
        raise ValueError(f"neighbours names {unknown.height} ids missing from titles, e.g. "
                         f"{unknown.row(0, named=True)}.")
    return neighbours, titles


def _packed_neighbours(*, neighbours: pl.DataFrame,
                       titles: pl.DataFrame) -> Iterator[tuple[str, bytes]]:
    """Movie id -> its packed list, best first, with each neighbour's title."""
    named = titles.rename({"id": "neighbour_id", "title": "neighbour_title"})
    grouped = (neighbours.join(named, on="neighbour_id", how="left")
               .sort("movie_id", "rank")
               .group_by("movie_id", maintain_order=True)
               .agg("neighbour_id", "neighbour_title", "score", "reason"))
    for movie_id, ids, names, scores, reasons in grouped.iter_rows():
        yield movie_id, encode_neighbours([Neighbour(id=i, title=t, score=s, reason=r)
                                           for i, t, s, r in zip(ids, names, scores, reasons,
                                                                 strict=True)])


def _title_index(titles: pl.DataFrame) -> dict[str, bytes]:
    """normalise_title(title) -> the ids of every catalog movie carrying it."""
    ids_by_title: dict[str, list[str]] = {}
    for movie_id, title in titles.sort("id").iter_rows():
        key = normalise_title(title)
        if key:
            ids_by_title.setdefault(key, []).append(movie_id)
    return {key: encode_ids(ids) for key, ids in ids_by_title.items()}


def _write_hash(client: redis.Redis, key: str, items: dict[str, Any], ttl: int) -> None:
    """HSET in chunks over a non-transactional pipeline; the TTL goes on with the first chunk."""
    pipe = client.pipeline(transaction=False)
    for number, chunk in enumerate(_chunks(items.items(), CHUNK_FIELDS)):
        pipe.hset(key, mapping=dict(chunk))
        if number == 0:
            pipe.expire(key, ttl)
        pipe.execute()


def _chunks(items: Iterable[tuple[str, Any]], size: int) -> Iterator[list[tuple[str, Any]]]:
    chunk: list[tuple[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _committed(client: redis.Redis | redis.client.Pipeline, layout: RedisLayout) -> list[str]:
    """Committed versions, newest first, with `current` always at the head."""
    current = client.get(layout.current)
    listed = [v.decode() for v in client.lrange(layout.versions, 0, -1)]
    if current is None:
        return listed
    head = current.decode()
    return [head, *(v for v in listed if v != head)]


def _commit(pipe: redis.client.Pipeline, *, layout: RedisLayout, version: str,
            expected: dict[str, int], keep_versions: int, expire_seconds: int) -> None:
    """Check the new version is whole, then switch `current` and age out old versions at once."""
    for key, count in expected.items():
        found = pipe.hlen(key)
        if found != count:
            raise PublishError(f"version {version} is incomplete: {key} has {found} of {count} "
                               "fields (did the build TTL run out?); current was left as it was.")
    if not pipe.exists(layout.meta(version)):
        raise PublishError(f"version {version} lost its meta key; current was left as it was.")
    committed = [version, *_committed(pipe, layout)]
    kept, dropped = committed[:keep_versions], committed[keep_versions:]
    pipe.multi()
    for key in layout.version_keys(version):
        pipe.persist(key)
    pipe.set(layout.current, version)
    pipe.delete(layout.versions)
    pipe.rpush(layout.versions, *kept)
    for old in dropped:
        for key in layout.version_keys(old):
            pipe.expire(key, expire_seconds)


def _rollback(pipe: redis.client.Pipeline, *, layout: RedisLayout, expire_seconds: int) -> str:
    committed = _committed(pipe, layout)
    if len(committed) < 2:
        raise RollbackUnavailable(f"No earlier version under prefix {layout.prefix!r} to roll "
                                  f"back to (committed versions: {committed or 'none'}).")
    dropped, target, *older = committed
    if pipe.exists(layout.neighbours(target), layout.titles(target), layout.meta(target)) != 3:
        raise RollbackUnavailable(f"Version {target} has expired keys; cannot roll back to it.")
    pipe.multi()
    pipe.set(layout.current, target)
    pipe.delete(layout.versions)
    pipe.rpush(layout.versions, target, *older)
    for key in layout.version_keys(dropped):
        pipe.expire(key, expire_seconds)
    return target


def _discard(client: redis.Redis, *, layout: RedisLayout, version: str) -> None:
    """Best effort: drop a failed version's keys unless it did get committed after all."""
    try:
        if version in _committed(client, layout):
            return
        client.unlink(*layout.version_keys(version))
    except redis.RedisError as error:
        logger.warning("could not discard keys of failed version %s (%s); they expire by "
                       "their build TTL", version, error)
