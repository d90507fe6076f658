"""Publish neighbour lists to Redis as a new version, switch `current` atomically, roll back.

Works on a single Redis and on a Redis Cluster alike (`cluster=True`): every transaction
touches only the control slot, every pipeline of a version's keys only that version's slot
(see contracts.redis_layout).
"""

import logging
import secrets
import time
from collections.abc import Iterator
from typing import Any, TypeAlias

import polars as pl
import redis
from contracts.domain import CATALOG_TYPE_MOVIE
from contracts.redis_layout import (
    LAYOUT_VERSION,
    MAX_NEIGHBOURS,
    SCORE_DECIMALS,
    Neighbour,
    RedisLayout,
    as_text,
    decode_meta,
    encode_films,
    encode_meta,
    encode_neighbours,
    taste_field,
)
from contracts.titles import film_key
from redis.cluster import RedisCluster

from etl_job.errors import EtlError
from etl_job.films import films_by_title
from etl_job.pages import movie_page, title_page
from etl_job.runs import log_step

logger = logging.getLogger(__name__)

CHUNK_FIELDS = 1000  # hash fields per HSET: one round trip each, a bounded client buffer
DEFAULT_EXPIRE_SECONDS = 3600  # dropped versions linger an hour: in-flight readers finish
# A version being written carries this TTL until it is committed, so a run that dies without
# cleaning up (SIGKILL, lost connection) leaves nothing behind for long.
DEFAULT_BUILD_TTL_SECONDS = 3600
DEFAULT_KEEP_VERSIONS = 2
# Redis' cost of a hash field beyond its bytes (dict entry, two string headers, allocator
# rounding): what estimate_bytes adds, measured against MEMORY USAGE (tests/etl).
FIELD_OVERHEAD_BYTES = 64

NEIGHBOUR_COLUMNS = {
    "movie_id": pl.String,
    "rank": pl.Int32,
    "neighbour_id": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
}
TITLE_COLUMNS = pl.Schema({"id": pl.String, "title": pl.String})
# Optional title columns (etl_job.films.film_table); a frame without them publishes movies of
# unknown year and platforms, one film per record title.
FILM_COLUMNS = pl.Schema(
    {
        "type": pl.String(),
        "release_year": pl.Int32(),
        "film": pl.String(),
        "available_on": pl.List(pl.String),
        "ratings": pl.Int64(),
        "age_band": pl.String(),
    }
)

Client: TypeAlias = redis.Redis | RedisCluster


class PublishError(RuntimeError):
    """A version could not be committed; `current` was left as it was."""


class RollbackUnavailable(RuntimeError):
    """There is no earlier version to roll back to."""


class MemoryBudgetExceeded(EtlError):
    """Staging a version would take Redis past the memory budget; nothing was written."""


def connect(redis_url: str, *, cluster: bool = False) -> Client:
    """One client; with cluster=True, REDIS_URL names any node and the rest are discovered.

    Auth and TLS come from the URL (redis://user:pass@host, rediss://...).
    """
    if cluster:
        return RedisCluster.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
    return redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)


def publish_neighbours(
    *,
    redis_url: str,
    key_prefix: str,
    neighbours: pl.DataFrame,
    titles: pl.DataFrame,
    meta: dict[str, Any],
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
    build_ttl_seconds: int = DEFAULT_BUILD_TTL_SECONDS,
    version: str | None = None,
    cluster: bool = False,
    taste: pl.DataFrame | None = None,
) -> str:
    """Write a new version's keys in pipelined chunks, then make it `current`; return its id."""
    if keep_versions < 1:
        raise ValueError(f"keep_versions must be 1 or more, got {keep_versions}.")
    layout = RedisLayout(key_prefix)
    # Sortable by time for humans; the random tail keeps two runs in one second apart.
    version = version or f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(3)}"
    with connect(redis_url, cluster=cluster) as client:
        try:
            stage_version(
                client,
                layout=layout,
                version=version,
                neighbours=neighbours,
                titles=titles,
                meta=meta,
                build_ttl_seconds=build_ttl_seconds,
                taste=taste,
            )
            commit_version(
                client,
                layout=layout,
                version=version,
                keep_versions=keep_versions,
                expire_seconds=expire_seconds,
            )
        except BaseException:
            discard_version(client, layout=layout, version=version)
            raise
    return version


def stage_version(
    client: Client,
    *,
    layout: RedisLayout,
    version: str,
    neighbours: pl.DataFrame,
    titles: pl.DataFrame,
    meta: dict[str, Any],
    build_ttl_seconds: int = DEFAULT_BUILD_TTL_SECONDS,
    taste: pl.DataFrame | None = None,
    retired_kept: int | None = None,
    memory_budget_bytes: int | None = None,
) -> None:
    """Write a version's keys with a build TTL; readers cannot see it until commit_version.

    `taste`: the sparse rows of B (recommender.taste.taste_rows, the neighbours' layout),
    stored as taste_field(id) fields of the neighbours hash.
    With `retired_kept`, versions neither committed nor among the newest `retired_kept` others
    (switched out, waiting for their expiry, or left by failed runs) are unlinked first, so
    Redis holds a bounded number of versions. With `memory_budget_bytes`, the version is not
    written when Redis' used memory plus its estimated size would pass the budget
    (MemoryBudgetExceeded, with the figures).
    """
    neighbours, titles = _checked_frames(neighbours=neighbours, titles=titles)
    started = time.perf_counter()
    lists = dict(_neighbour_lists(neighbours=neighbours, titles=titles))
    packed = {movie_id: encode_neighbours(ranked) for movie_id, ranked in lists.items()}
    taste_rows: dict[str, bytes] = {}
    if taste is not None and taste.height:
        taste, _ = _checked_frames(neighbours=taste, titles=titles)
        taste_rows = {
            taste_field(movie_id): encode_neighbours(row)
            for movie_id, row in _neighbour_lists(neighbours=taste, titles=titles)
        }
    title_items = dict(zip(titles["id"].to_list(), titles["title"].to_list(), strict=True))
    films = films_by_title(titles)
    index = {key: encode_films(found) for key, found in films.items()}
    pages = {
        movie_id: movie_page(
            version=version, movie_id=movie_id, title=title, neighbours=lists.get(movie_id, [])
        )
        for movie_id, title in title_items.items()
    }
    title_pages = {
        key: page
        for key, found in films.items()
        if (page := title_page(version=version, films=found, lists=lists)) is not None
    }
    version_meta = {
        "version": version,
        "layout_version": LAYOUT_VERSION,
        "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "movies": len(title_items),
        "movies_with_neighbours": len(packed),
        "taste_rows": len(taste_rows),
        "title_index_entries": len(index),
        "pages": len(pages),
        "title_pages": len(title_pages),
        "neighbour_rows": neighbours.height,
        "model": meta,
    }
    # Leftovers of an earlier attempt at the same version would mix into the hashes.
    client.unlink(*layout.version_keys(version))
    unlinked = (
        trim_versions(client, layout=layout, retired_kept=retired_kept)
        if retired_kept is not None
        else []
    )
    hashes = {
        layout.neighbours(version): packed | taste_rows,
        layout.titles(version): title_items,
        layout.title_index(version): index,
        layout.pages(version): pages,
        layout.title_pages(version): title_pages,
    }
    budget = memory_budget_bytes
    if budget is not None:
        used, needed = used_memory(client), estimate_bytes(*hashes.values())
        if used + needed > budget:
            mib, kept = 1024 * 1024, ", ".join(stored_versions(client, layout=layout)) or "none"
            after = f" after unlinking {', '.join(unlinked)}" if unlinked else ""
            raise MemoryBudgetExceeded(
                f"refusing to stage version {version} in Redis: it uses {used / mib:.1f} MiB "
                f"and the version needs about {needed / mib:.1f} MiB, "
                f"{(used + needed) / mib:.1f} MiB in all, over the budget of "
                f"{budget / mib:.0f} MiB (REDIS_MEMORY_BUDGET_MB); it keeps versions {kept} "
                f"under prefix {layout.prefix!r}{after}; free memory in Redis or raise the "
                "budget (and maxmemory with it)"
            )
    for key, items in hashes.items():
        _write_hash(client, key, items, build_ttl_seconds)
    client.set(layout.meta(version), encode_meta(version_meta), ex=build_ttl_seconds)
    logger.info(
        "staged version %s: %d movies, %d neighbour rows in %.2fs",
        version,
        len(packed),
        neighbours.height,
        time.perf_counter() - started,
    )


def estimate_bytes(*hashes: dict[str, Any]) -> int:
    """Redis memory a version's hashes will take: their bytes plus a per-field overhead."""
    total = 0
    for items in hashes:
        for key, value in items.items():
            size = len(value) if isinstance(value, bytes) else len(str(value).encode())
            total += len(key.encode()) + size + FIELD_OVERHEAD_BYTES
    return total


def stored_versions(client: Client, *, layout: RedisLayout) -> list[str]:
    """Every version with a meta key under the prefix (committed, retired, staged), oldest
    first (version ids sort by time)."""
    head, tail = layout.meta("\0").split("\0")
    found = {
        as_text(key)[len(head) : -len(tail)]
        for key in client.scan_iter(match=layout.meta("*"), count=1000)
    }
    return sorted(found)


def trim_versions(client: Client, *, layout: RedisLayout, retired_kept: int) -> list[str]:
    """Unlink every version that is not committed, but the newest `retired_kept` of them
    (the last switched out: a reader may still be on it); returns the unlinked ids."""
    committed = set(_committed(client, layout))
    others = [v for v in stored_versions(client, layout=layout) if v not in committed]
    dropped = others[: len(others) - retired_kept] if retired_kept > 0 else others
    for version in dropped:  # one slot per version: one UNLINK each, on a cluster too
        client.unlink(*layout.version_keys(version))
    if dropped:
        logger.info("unlinked versions %s (beyond %d retired kept)", dropped, retired_kept)
    return dropped


def used_memory(client: Client) -> int:
    """Redis' used_memory; on a cluster, the fullest node's (a version lives on one node)."""
    info = client.info("memory")
    if "used_memory" in info:
        return int(info["used_memory"])
    return max(int(node["used_memory"]) for node in info.values())


def version_problem(client: Client, *, layout: RedisLayout, version: str) -> str | None:
    """Why the version's keys are not whole (a sentence), or None when they are."""
    packed_meta = client.get(layout.meta(version))
    if packed_meta is None:
        return f"version {version} has no meta key in Redis"
    meta = decode_meta(packed_meta)
    lists = meta.get("movies_with_neighbours")
    # Versions before layout 5 have no taste rows: whole without them.
    taste = int(meta.get("taste_rows") or 0)
    expected = {
        layout.neighbours(version): None if lists is None else lists + taste,
        layout.titles(version): meta.get("movies"),
        layout.title_index(version): meta.get("title_index_entries"),
    }
    # Versions of layout 3 and before have no pages: whole without them (recsys then decodes).
    pages = {layout.pages(version): "pages", layout.title_pages(version): "title_pages"}
    expected |= {key: meta[name] for key, name in pages.items() if meta.get(name) is not None}
    pipe = client.pipeline(transaction=False)
    for key in expected:
        pipe.hlen(key)
    for (key, count), found in zip(expected.items(), pipe.execute(), strict=True):
        if count is None or found != count:
            return f"version {version} is incomplete: {key} has {found} of {count} fields"
    return None


def commit_version(
    client: Client,
    *,
    layout: RedisLayout,
    version: str,
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
    retired_kept: int | None = None,
) -> None:
    """Check the version is whole, keep it for good, then switch `current` to it at once.

    Three steps, each safe to cut: the version's keys lose their TTL (its slot), then one
    transaction on the control slot sets `current`, the kept versions and the `retired` to-do
    list, then the retired versions' keys get their expiry (with `retired_kept`, all but the
    newest `retired_kept` uncommitted versions are unlinked at once).
    """
    problem = version_problem(client, layout=layout, version=version)
    if problem is not None:
        raise PublishError(f"{problem} (did the build TTL run out?); current was left as it was.")
    pipe = client.pipeline(transaction=False)
    for key in layout.version_keys(version):
        pipe.persist(key)
    pipe.execute()
    log_step("version_persisted")
    client.transaction(
        lambda pipe: _switch(pipe, layout=layout, version=version, keep_versions=keep_versions),
        layout.current,
        layout.versions,
    )
    log_step("redis_switched")
    expire_retired(client, layout=layout, expire_seconds=expire_seconds)
    if retired_kept is not None:  # the version just switched out is the newest kept
        trim_versions(client, layout=layout, retired_kept=retired_kept)
    log_step("retired_expired")
    logger.info("version %s is current under prefix %r", version, layout.prefix)


def expire_retired(
    client: Client, *, layout: RedisLayout, expire_seconds: int = DEFAULT_EXPIRE_SECONDS
) -> list[str]:
    """Give every retired version's keys their expiry, then strike it off; return their ids."""
    committed = set(_committed(client, layout))
    done = []
    for raw in client.lrange(layout.retired, 0, -1):
        version = as_text(raw)
        if version not in committed:  # committed again since (a repair): keep its keys
            pipe = client.pipeline(transaction=False)
            for key in layout.version_keys(version):
                pipe.expire(key, expire_seconds)
            pipe.execute()
        client.lrem(layout.retired, 0, version)
        done.append(version)
    return done


def discard_version(client: Client, *, layout: RedisLayout, version: str) -> None:
    """Best effort: drop an uncommitted version's keys unless it did get committed after all."""
    try:
        if version in _committed(client, layout):
            return
        client.unlink(*layout.version_keys(version))
    except redis.RedisError as error:
        logger.warning(
            "could not discard keys of failed version %s (%s); they expire by their build TTL",
            version,
            error,
        )


def rollback(
    *,
    redis_url: str,
    key_prefix: str,
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
    cluster: bool = False,
) -> str:
    """Make the previous version current again and expire the one it replaces; return its id."""
    layout = RedisLayout(key_prefix)
    with connect(redis_url, cluster=cluster) as client:
        target = rollback_target(client, layout=layout)
        client.transaction(
            lambda pipe: _rollback(pipe, layout=layout, target=target),
            layout.current,
            layout.versions,
        )
        expire_retired(client, layout=layout, expire_seconds=expire_seconds)
    return target


def rollback_target(client: Client, *, layout: RedisLayout) -> str:
    """The version a rollback would make current; RollbackUnavailable when there is none."""
    committed = _committed(client, layout)
    if len(committed) < 2:
        raise RollbackUnavailable(
            f"No earlier version under prefix {layout.prefix!r} to roll "
            f"back to (committed versions: {committed or 'none'})."
        )
    target = committed[1]
    if version_problem(client, layout=layout, version=target) is not None:
        raise RollbackUnavailable(f"Version {target} has expired keys; cannot roll back to it.")
    return target


def current_version(*, redis_url: str, key_prefix: str, cluster: bool = False) -> str | None:
    """The version readers use now, or None when nothing was published under the prefix."""
    with connect(redis_url, cluster=cluster) as client:
        value = client.get(RedisLayout(key_prefix).current)
    return as_text(value) if value is not None else None


def committed_versions(*, redis_url: str, key_prefix: str, cluster: bool = False) -> list[str]:
    """Versions kept for rollback, newest (current) first."""
    with connect(redis_url, cluster=cluster) as client:
        return _committed(client, RedisLayout(key_prefix))


def _checked_frames(
    *, neighbours: pl.DataFrame, titles: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Refuse inputs that would publish a broken version, before any key is written."""
    for name, frame, columns in (
        ("neighbours", neighbours, NEIGHBOUR_COLUMNS),
        ("titles", titles, TITLE_COLUMNS),
    ):
        missing = sorted(set(columns) - set(frame.columns))
        if missing:
            raise ValueError(f"{name} frame lacks columns {missing}; it needs {list(columns)}.")
    neighbours = neighbours.select(
        pl.col(c).cast(t, strict=True) for c, t in NEIGHBOUR_COLUMNS.items()
    ).with_columns(pl.col("reason").fill_null(""))
    given = {c: t for c, t in {**TITLE_COLUMNS, **FILM_COLUMNS}.items() if c in titles.columns}
    titles = _with_film_columns(
        titles.select(pl.col(c).cast(t, strict=True) for c, t in given.items())
    )
    if titles.height == 0 or neighbours.height == 0:
        raise ValueError("Refusing to publish an empty model: titles and neighbours need rows.")
    if (
        titles.select("id", "title").null_count().sum_horizontal().item()
        or titles["id"].is_duplicated().any()
    ):
        raise ValueError("titles must have one non-null title per unique, non-null id.")
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
    unknown = neighbours.filter(
        ~pl.col("movie_id").is_in(known) | ~pl.col("neighbour_id").is_in(known)
    )
    if unknown.height:
        raise ValueError(
            f"neighbours names {unknown.height} ids missing from titles, e.g. "
            f"{unknown.row(0, named=True)}."
        )
    return neighbours, titles


def _with_film_columns(titles: pl.DataFrame) -> pl.DataFrame:
    """Fill the optional film columns a frame lacks: a movie of unknown year on no platform."""
    defaults = {
        "type": pl.lit(CATALOG_TYPE_MOVIE),
        "release_year": pl.lit(None),
        "available_on": pl.lit([], dtype=pl.List(pl.String)),
        "ratings": pl.lit(0),
        "age_band": pl.lit(None),
    }
    titles = titles.with_columns(
        value.cast(FILM_COLUMNS[name]).alias(name)
        for name, value in defaults.items()
        if name not in titles.columns
    )
    if "film" not in titles.columns:
        keys = [
            film_key(t, y, k)
            for t, y, k in titles.select("title", "release_year", "type").iter_rows()
        ]
        titles = titles.with_columns(film=pl.Series(keys, dtype=pl.String))
    return titles


def _neighbour_lists(
    *, neighbours: pl.DataFrame, titles: pl.DataFrame
) -> Iterator[tuple[str, list[Neighbour]]]:
    """Movie id -> its list, best first, with each neighbour's title, type, year and
    platforms; scores rounded as packed, so the lists are what recsys decodes."""
    film = ("type", "release_year", "available_on", "age_band")
    named = titles.select(
        pl.col("id").alias("neighbour_id"), pl.col("title").alias("neighbour_title"), *film
    )
    grouped = (
        neighbours.join(named, on="neighbour_id", how="left")
        .sort("movie_id", "rank")
        .group_by("movie_id", maintain_order=True)
        .agg("neighbour_id", "neighbour_title", "score", "reason", *film)
    )
    for movie_id, *columns in grouped.iter_rows():
        yield (
            movie_id,
            [
                Neighbour(i, t, round(s, SCORE_DECIMALS), r, k, y, tuple(a), b)
                for i, t, s, r, k, y, a, b in zip(*columns, strict=True)
            ],
        )


def _write_hash(client: Client, key: str, items: dict[str, Any], ttl: int) -> None:
    """HSET in chunks over a non-transactional pipeline; the TTL goes on with the first chunk."""
    pipe = client.pipeline(transaction=False)
    fields = list(items.items())
    for start in range(0, len(fields), CHUNK_FIELDS):
        pipe.hset(key, mapping=dict(fields[start : start + CHUNK_FIELDS]))
        if start == 0:
            pipe.expire(key, ttl)
        pipe.execute()


def _committed(client: Any, layout: RedisLayout) -> list[str]:
    """Committed versions, newest first, with `current` always at the head (control slot)."""
    current = client.get(layout.current)
    listed = [as_text(v) for v in client.lrange(layout.versions, 0, -1)]
    if current is None:
        return listed
    head = as_text(current)
    return [head, *(v for v in listed if v != head)]


def _switch(pipe: Any, *, layout: RedisLayout, version: str, keep_versions: int) -> None:
    """Inside WATCH on the control slot: `current`, the kept list and the retired to-do list."""
    committed = [version, *(v for v in _committed(pipe, layout) if v != version)]
    kept, dropped = committed[:keep_versions], committed[keep_versions:]
    pipe.multi()
    pipe.set(layout.current, version)
    pipe.delete(layout.versions)
    pipe.rpush(layout.versions, *kept)
    if dropped:
        pipe.rpush(layout.retired, *dropped)


def _rollback(pipe: Any, *, layout: RedisLayout, target: str) -> None:
    committed = _committed(pipe, layout)
    if committed[1:2] != [target]:
        raise PublishError("the committed versions changed during the rollback; run it again.")
    dropped, _, *older = committed
    pipe.multi()
    pipe.set(layout.current, target)
    pipe.delete(layout.versions)
    pipe.rpush(layout.versions, target, *older)
    pipe.rpush(layout.retired, dropped)
