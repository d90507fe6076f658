"""The writer side: versioned publish, the atomic switch, rollback, expiry, failed runs."""

import datetime
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
import redis
from contracts.redis_layout import (
    MAX_NEIGHBOURS,
    RedisLayout,
    decode_films,
    decode_meta,
    decode_neighbours,
)
from etl_job import publish as publish_module
from etl_job.publish import (
    PublishError,
    RollbackUnavailable,
    committed_versions,
    current_version,
    rollback,
)
from testkit.stored import stored


def _prefix_keys(client: redis.Redis, prefix: str) -> set[str]:
    return {key.decode() for key in client.scan_iter(match=RedisLayout(prefix).match_all)}


def test_publish_writes_a_version_and_makes_it_current(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str) -> None:
    version = publish()
    layout = RedisLayout(prefix)

    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == version
    assert _prefix_keys(redis_client, prefix) == {layout.current, layout.versions,
                                                  *layout.version_keys(version)}
    as1 = decode_neighbours(stored(redis_client.hget(layout.neighbours(version), "as1")))
    assert [(n.id, n.title, n.score, n.reason) for n in as1] == [
        ("ns1", "the matrix", 0.95, "liked by the same viewers"),
        ("hs1", "alien", 0.8, "director: ridley scott"),
        ("ns4", "heat", 0.6, "cast: keanu reeves"),
        ("ns3", "schindler's list", 0.5, "liked by the same viewers"),
    ]
    assert redis_client.hget(layout.titles(version), "ns5") == "amélie".encode()

    def ids(title: str) -> list[tuple[str, ...]]:
        return [film.ids for film in decode_films(
            stored(redis_client.hget(layout.title_index(version), title)))]

    # No year given: one film per title, its records together.
    assert ids("the matrix") == [("as1", "ns1")]
    assert ids("amelie") == [("ns5",)]
    assert ids("schindlers list") == [("ns3",)]
    meta = decode_meta(stored(redis_client.get(layout.meta(version))))
    assert meta["model"]["metrics"] == {"blend": {"hr_at_5": 0.31, "tail_hr_at_5": 0.12}}
    assert (meta["movies"], meta["movies_with_neighbours"], meta["neighbour_rows"]) == (9, 9, 20)
    # A page per record, one per normalised title: 7, the two records of "the matrix" and
    # the two "heat" films sharing one each.
    assert (meta["pages"], meta["title_pages"]) == (9, 7)
    assert redis_client.hlen(layout.title_pages(version)) == 7
    # A committed version carries no TTL: it lives until a later publish ages it out.
    assert all(redis_client.ttl(key) == -1 for key in layout.version_keys(version))


def test_second_publish_switches_current_and_keeps_the_first(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str) -> None:
    first = publish()
    second = publish(meta={"model_version": "second"})
    layout = RedisLayout(prefix)

    assert first != second
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == second
    assert committed_versions(redis_url=redis_server.url, key_prefix=prefix) == [second, first]
    assert redis_client.exists(*layout.version_keys(first)) == len(layout.version_keys(first))
    second_meta = decode_meta(stored(redis_client.get(layout.meta(second))))
    assert second_meta["model"] == {"model_version": "second"}


def test_rollback_restores_the_previous_version(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str) -> None:
    first = publish()
    second = publish()
    layout = RedisLayout(prefix)

    assert rollback(redis_url=redis_server.url, key_prefix=prefix, expire_seconds=900) == first
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first
    assert committed_versions(redis_url=redis_server.url, key_prefix=prefix) == [first]
    assert all(0 < redis_client.ttl(key) <= 900 for key in layout.version_keys(second))
    assert all(redis_client.ttl(key) == -1 for key in layout.version_keys(first))
    with pytest.raises(RollbackUnavailable, match="No earlier version"):
        rollback(redis_url=redis_server.url, key_prefix=prefix)
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first


def test_rollback_with_nothing_published_raises(redis_server, prefix: str) -> None:
    with pytest.raises(RollbackUnavailable, match="none"):
        rollback(redis_url=redis_server.url, key_prefix=prefix)
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) is None


def test_versions_beyond_keep_get_an_expiry(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str) -> None:
    first = publish(expire_seconds=600)
    second = publish(expire_seconds=600)
    third = publish(expire_seconds=600)
    layout = RedisLayout(prefix)

    assert committed_versions(redis_url=redis_server.url, key_prefix=prefix) == [third, second]
    assert all(0 < redis_client.ttl(key) <= 600 for key in layout.version_keys(first))
    for kept in (second, third):
        assert all(redis_client.ttl(key) == -1 for key in layout.version_keys(kept))


def test_keep_one_version_expires_the_previous_at_once(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str) -> None:
    first = publish(keep_versions=1)
    second = publish(keep_versions=1)

    assert committed_versions(redis_url=redis_server.url, key_prefix=prefix) == [second]
    assert redis_client.ttl(RedisLayout(prefix).neighbours(first)) > 0


def test_a_run_failing_mid_write_leaves_current_and_no_keys(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = publish()
    before = _prefix_keys(redis_client, prefix)
    real_write = publish_module._write_hash
    calls: list[str] = []

    def failing_write(client: redis.Redis, key: str, items: dict, ttl: int) -> None:
        calls.append(key)
        if len(calls) == 2:  # the neighbours hash is written, the titles hash is not
            raise redis.ConnectionError("connection lost mid-write")
        real_write(client, key, items, ttl)

    monkeypatch.setattr(publish_module, "_write_hash", failing_write)
    with pytest.raises(redis.ConnectionError):
        publish()

    assert len(calls) == 2
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first
    assert _prefix_keys(redis_client, prefix) == before


def test_an_incomplete_version_is_refused_at_commit(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = publish()
    before = _prefix_keys(redis_client, prefix)
    real_write = publish_module._write_hash

    def lossy_write(client: redis.Redis, key: str, items: dict, ttl: int) -> None:
        real_write(client, key, items, ttl)
        if key.endswith(":neighbours"):  # as if part of the hash vanished before the switch
            client.hdel(key, "ns1")

    monkeypatch.setattr(publish_module, "_write_hash", lossy_write)
    with pytest.raises(PublishError, match="incomplete"):
        publish()

    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first
    assert _prefix_keys(redis_client, prefix) == before


def test_a_killed_run_leaves_keys_that_expire(
        publish: Callable[..., str], redis_client: redis.Redis, redis_server, prefix: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = publish()
    layout = RedisLayout(prefix)
    real_write = publish_module._write_hash

    def dying_write(client: redis.Redis, key: str, items: dict, ttl: int) -> None:
        real_write(client, key, items, ttl)
        raise KeyboardInterrupt  # the process dies: no clean-up can run either
    monkeypatch.setattr(publish_module, "_write_hash", dying_write)
    monkeypatch.setattr(publish_module, "discard_version", lambda *args, **kwargs: None)
    with pytest.raises(KeyboardInterrupt):
        publish(build_ttl_seconds=120)

    partial = _prefix_keys(redis_client, prefix) - {layout.current, layout.versions,
                                                    *layout.version_keys(first)}
    assert len(partial) == 1
    assert 0 < redis_client.ttl(partial.pop()) <= 120
    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first


@pytest.mark.parametrize(("change", "message"), [
    (lambda n, t: (n.drop("reason"), t), "lacks columns"),
    (lambda n, t: (n.with_columns(pl.lit(MAX_NEIGHBOURS + 1, pl.Int32).alias("rank")), t),
     "rank must be"),
    (lambda n, t: (n, t.filter(pl.col("id") != "ns4")), "missing from titles"),
    (lambda n, t: (n.with_columns(neighbour_id=pl.col("movie_id")), t), "its own neighbour"),
    (lambda n, t: (n.head(0), t), "empty model"),
])
def test_bad_frames_are_refused_before_any_write(
        change: Callable, message: str, model_frames: tuple[pl.DataFrame, pl.DataFrame],
        publish: Callable[..., str], redis_client: redis.Redis, redis_server,
        prefix: str) -> None:
    first = publish()
    before = _prefix_keys(redis_client, prefix)
    titles, neighbours = model_frames
    bad_neighbours, bad_titles = change(neighbours, titles)

    with pytest.raises(ValueError, match=message):
        publish(neighbours=bad_neighbours, titles=bad_titles)

    assert current_version(redis_url=redis_server.url, key_prefix=prefix) == first
    assert _prefix_keys(redis_client, prefix) == before


def test_meta_keeps_numbers_of_numpy_and_dates(
        publish: Callable[..., str], redis_client: redis.Redis, prefix: str) -> None:
    version = publish(meta={"blend_weight": np.float32(0.5), "users": np.int64(42),
                            "trained_at": datetime.date(2026, 1, 2)})
    meta = decode_meta(stored(redis_client.get(RedisLayout(prefix).meta(version))))

    assert meta["model"] == {"blend_weight": 0.5, "users": 42, "trained_at": "2026-01-02"}
