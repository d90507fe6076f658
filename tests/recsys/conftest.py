"""Fixtures of the recsys tests: a key prefix per test, hand-written frames, a publisher."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import polars as pl
import pytest
import redis
from etl_job.films import film_table
from etl_job.publish import publish_neighbours
from recsys_service.config import Settings
from recsys_service.main import create_app
from testkit.apps import AppClient

from harness import RedisServer

# A small catalog: two entries share "the matrix" (one film on two platforms), two different
# films share "heat", and some titles carry accents and apostrophes.
TITLES = {
    "ns1": "the matrix", "as1": "the matrix", "hs1": "alien", "hs2": "inception",
    "ds1": "toy story", "ns3": "schindler's list", "ns4": "heat", "as2": "heat",
    "ns5": "amélie",
}
# Release years: the two records of "the matrix" are one film (same year, netflix and amazon);
# the two "heat" are two films (1995 and 1986).
YEARS = {"ns1": 1999, "as1": 1999, "hs1": 1979, "hs2": 2010, "ds1": 1995, "ns3": 1993,
         "ns4": 1995, "as2": 1986, "ns5": 2001}
PLATFORMS = {"a": "amazon", "d": "disney", "h": "hulu", "n": "netflix"}
# movie id -> its ranked neighbours (neighbour id, score, reason), best first.
NEIGHBOURS: dict[str, list[tuple[str, float, str]]] = {
    "ns1": [("hs2", 0.9, "shared genres: sci-fi"), ("hs1", 0.7, "liked by the same viewers"),
            ("as2", 0.4, "shared genres: action"), ("ds1", 0.3, "liked by the same viewers")],
    "as1": [("ns1", 0.95, "liked by the same viewers"), ("hs1", 0.8, "director: ridley scott"),
            ("ns4", 0.6, "cast: keanu reeves"), ("ns3", 0.5, "liked by the same viewers")],
    "hs1": [("hs2", 0.6, "shared genres: sci-fi"), ("ns1", 0.5, "shared genres: sci-fi")],
    "hs2": [("ns1", 0.9, "shared genres: sci-fi"), ("hs1", 0.6, "shared genres: sci-fi")],
    "ds1": [("ns5", 0.2, "liked by the same viewers")],
    "ns3": [("ns5", 0.3, "shared genres: dramas"), ("ns4", 0.1, "liked by the same viewers")],
    "ns4": [("as2", 0.5, "shared genres: thrillers"), ("hs1", 0.4, "liked by the same viewers")],
    "as2": [("ns4", 0.5, "shared genres: thrillers")],
    "ns5": [("ns3", 0.3, "shared genres: dramas"), ("ds1", 0.2, "liked by the same viewers")],
}
META = {"model_version": "hybrid-test", "trained_at": "2026-01-01T00:00:00Z", "blend_weight": 0.6,
        "metrics": {"blend": {"hr_at_5": 0.31, "tail_hr_at_5": 0.12}}}


def titles_frame(titles: dict[str, str]) -> pl.DataFrame:
    """The publisher's titles frame (etl_job.films.film_table) of movies: year from YEARS,
    platform from the id's first letter."""
    catalog = pl.DataFrame({
        "id": list(titles), "title": list(titles.values()), "type": "movie",
        "release_year": [YEARS.get(i) for i in titles],
        "platform": [PLATFORMS[i[0]] for i in titles], "rating_count": 0},
        schema={"id": pl.String, "title": pl.String, "type": pl.String,
                "release_year": pl.Int32, "platform": pl.String, "rating_count": pl.Int32})
    return film_table(catalog)


def neighbours_frame(neighbours: dict[str, list[tuple[str, float, str]]]) -> pl.DataFrame:
    rows = [{"movie_id": movie, "rank": rank, "neighbour_id": other, "score": score,
             "reason": reason}
            for movie, ranked in neighbours.items()
            for rank, (other, score, reason) in enumerate(ranked, start=1)]
    schema = {"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
              "score": pl.Float64, "reason": pl.String}
    return pl.DataFrame(rows, schema=schema)


@pytest.fixture
def frames() -> Callable[..., tuple[pl.DataFrame, pl.DataFrame]]:
    """frames(titles, neighbours) -> (titles frame, neighbours frame) in the publisher's shape."""

    def build(titles: dict[str, str],
              neighbours: dict[str, list[tuple[str, float, str]]]
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
        return titles_frame(titles), neighbours_frame(neighbours)

    return build


@pytest.fixture(scope="session")
def model_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hand-written model as (titles frame, neighbours frame)."""
    return titles_frame(TITLES), neighbours_frame(NEIGHBOURS)


@pytest.fixture
def prefix() -> str:
    """A key prefix of the test's own, so tests share the session's Redis without clashing."""
    return f"test-recs-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def client(redis_server: Any, prefix: str,
                 app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    """The recsys app in-process over the session's Redis, reading under the test's prefix."""
    settings = Settings(redis_url=redis_server.url, redis_key_prefix=prefix)
    app = create_app(settings)
    async with app_client(app, base_url="http://recsys") as http:
        yield http


@pytest.fixture
def redis_client(redis_server: Any) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def publish(redis_server: Any, prefix: str) -> Callable[..., str]:
    """publish(**overrides): publish the hand-written model (or the frames given) under prefix."""

    def run(**overrides: Any) -> str:
        arguments: dict[str, Any] = {
            "redis_url": redis_server.url, "key_prefix": prefix,
            "neighbours": neighbours_frame(NEIGHBOURS), "titles": titles_frame(TITLES),
            "meta": META}
        return publish_neighbours(**{**arguments, **overrides})

    return run


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for tests that stop, freeze and restart it, apart from the session's."""
    with RedisServer(tmp_path_factory.mktemp("own-redis")) as server:
        yield server
