"""The performance changes the benchmark led to: data-version headers and the gateway's cache."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as create_catalog
from etl_job.publish import publish_neighbours
from gateway.cache import AnswerCache
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as create_recsys
from testkit.stand_in import StandIn

HEADER = "x-data-version"


class Clock:
    """A monotonic clock the test moves by hand: no sleeping against a TTL."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_an_answer_of_the_current_version():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    cache.put("catalog", "/a", "answer a", version="v1")
    assert cache.get("catalog", "/a") == "answer a"
    assert cache.get("catalog", "/b") is None
    assert cache.get("recsys", "/a") is None


def test_an_answer_of_another_version_makes_the_older_ones_misses():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    cache.put("catalog", "/a", "old a", version="v1")
    cache.put("recsys", "/a", "model a", version="m1")
    cache.put("catalog", "/b", "new b", version="v2")
    assert cache.get("catalog", "/a") is None
    assert cache.get("catalog", "/b") == "new b"
    assert cache.get("recsys", "/a") == "model a"  # each downstream has its own version
    assert cache.versions == {"catalog": "v2", "recsys": "m1"}


def test_answers_without_a_version_or_with_a_zero_ttl_are_not_kept():
    unversioned: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    unversioned.put("catalog", "/a", "answer", version=None)
    off: AnswerCache[str] = AnswerCache(ttl=0, max_entries=10)
    off.put("catalog", "/a", "answer", version="v1")
    assert unversioned.get("catalog", "/a") is None
    assert off.get("catalog", "/a") is None


def test_an_answer_older_than_the_ttl_is_not_served():
    clock = Clock()
    cache: AnswerCache[str] = AnswerCache(ttl=2, max_entries=10, timer=clock)
    cache.put("catalog", "/a", "answer", version="v1")
    clock.now += 1.9
    assert cache.get("catalog", "/a") == "answer"
    clock.now += 0.2
    assert cache.get("catalog", "/a") is None
    assert len(cache) == 0


def test_the_least_recently_used_answer_goes_first_when_full():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=2)
    cache.put("catalog", "/a", "a", version="v1")
    cache.put("catalog", "/b", "b", version="v1")
    assert cache.get("catalog", "/a") == "a"  # /b is now the least recently used
    cache.put("catalog", "/c", "c", version="v1")
    assert cache.get("catalog", "/b") is None
    assert (cache.get("catalog", "/a"), cache.get("catalog", "/c")) == ("a", "c")


RECORD = {"id": "ns1", "platform": "netflix", "type": "movie", "title": "first film",
          "show_id": "s1", "release_year": 2001}
NEIGHBOURS = {"movie_id": "ns1", "title": "first film", "model_version": "m1", "neighbours": [
    {"id": "ns2", "title": "second film", "score": 0.5, "reason": "liked by the same viewers"}]}


NO_SUCH_TITLE = (404, {"code": "not_found", "detail": "No such title."})


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """The catalog: its count follows the data version it names."""
    with StandIn({"/v1/titles/ns1": (200, RECORD)}, version="run-1",
                 missing=NO_SUCH_TITLE) as server:
        server.routes["/v1/count-platform"] = lambda query: (
            200, {"count": 7 if server.version == "run-1" else 8})
        yield server


@pytest.fixture
def recsys_stand_in() -> Iterator[StandIn]:
    with StandIn({"/v1/neighbours/ns1": (200, NEIGHBOURS)}, version="run-1",
                 missing=NO_SUCH_TITLE) as server:
        yield server


def _gateway(catalog: str, recsys: str, cache_seconds: float, clock: Clock | None = None) -> Any:
    settings = GatewaySettings(catalog_service_url=catalog, recsys_service_url=recsys,
                               downstream_cache_seconds=cache_seconds)
    return create_gateway(settings, clock=clock or Clock())


async def test_gateway_asks_the_catalog_once_per_question_and_version(stand_in, unused_port,
                                                                       app_client):
    clock = Clock()
    app = _gateway(stand_in.url, f"http://127.0.0.1:{unused_port()}", cache_seconds=2,
                   clock=clock)
    async with app_client(app) as client:
        first = await client.get("/get_count_platform", params={"platform": "hulu"})
        again = await client.get("/get_count_platform", params={"platform": "hulu"})
        missing = [await client.get("/titles/ns99") for _ in range(2)]
        calls_before_expiry = list(stand_in.requests)
        stand_in.version = "run-2"
        clock.now += 2.1
        renewed = await client.get("/get_count_platform", params={"platform": "hulu"})
    assert (first.json(), again.json(), renewed.json()) == (7, 7, 8)
    assert [m.status_code for m in missing] == [404, 404]
    assert missing[0].json() == missing[1].json()
    assert calls_before_expiry == ["/v1/count-platform?platform=hulu", "/v1/titles/ns99"]
    assert stand_in.requests[-1] == "/v1/count-platform?platform=hulu"


async def test_gateway_with_the_cache_off_asks_every_time(stand_in, unused_port, app_client):
    app = _gateway(stand_in.url, f"http://127.0.0.1:{unused_port()}", cache_seconds=0)
    async with app_client(app) as client:
        for _ in range(3):
            assert (await client.get("/get_count_platform",
                                     params={"platform": "hulu"})).json() == 7
    assert len(stand_in.requests) == 3


async def _get_twice(app_client: Any, app: Any, path: str) -> list[httpx.Response]:
    async with app_client(app) as client:
        answers = [await client.get(path) for _ in range(2)]
        answers.append(await client.get("/metrics"))
    return answers


async def test_a_kept_public_answer_is_the_same_answer_with_its_own_request_id(
        stand_in, recsys_stand_in, app_client):
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, metrics = await _get_twice(app_client, app, "/titles/ns1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.json()["recommendations"]["items"][0]["id"] == "ns2"
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert stand_in.requests == ["/v1/titles/ns1"]
    assert recsys_stand_in.requests == ["/v1/neighbours/ns1?k=10"]
    assert ('http_requests_total{method="GET",route="/titles/{id}",service="gateway",'
            'status="200"} 2.0') in metrics.text


async def test_an_answer_made_around_a_failure_is_not_kept(stand_in, recsys_stand_in,
                                                           app_client):
    recsys_stand_in.answer("/v1/neighbours/ns1", 500, {"detail": "boom"})
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, _ = await _get_twice(app_client, app, "/titles/ns1")
    assert first.json()["recommendations"]["available"] is False
    assert second.json() == first.json()
    assert len(recsys_stand_in.requests) == 2  # asked again: the first page was not kept


async def test_answers_of_unversioned_downstreams_are_never_kept(stand_in, recsys_stand_in,
                                                                 app_client):
    stand_in.version = recsys_stand_in.version = None
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, _ = await _get_twice(app_client, app, "/titles/ns1")
    assert first.content == second.content
    assert stand_in.requests == ["/v1/titles/ns1", "/v1/titles/ns1"]


async def test_catalog_answers_name_their_data_version(sample_catalog_dir: Path, app_client):
    run_id = json.loads((sample_catalog_dir / "manifest.json").read_text())["run_id"]
    app = create_catalog(CatalogSettings(catalog_path=sample_catalog_dir))
    async with app_client(app) as client:
        found = await client.get("/v1/count-platform", params={"platform": "netflix"})
        missing = await client.get("/v1/titles/ns999999")
    assert found.status_code == 200
    assert found.headers[HEADER] == run_id
    assert missing.status_code == 404
    assert missing.headers[HEADER] == run_id


async def test_recsys_answers_name_their_model_version(redis_server, app_client):
    prefix = f"test-bench-{uuid.uuid4().hex[:8]}"
    neighbours = pl.DataFrame(
        {"movie_id": ["ns1"], "rank": [1], "neighbour_id": ["ns2"], "score": [0.5],
         "reason": ["liked by the same viewers"]},
        schema={"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
                "score": pl.Float64, "reason": pl.String})
    titles = pl.DataFrame({"id": ["ns1", "ns2"], "title": ["first film", "second film"]})
    version = publish_neighbours(redis_url=redis_server.url, key_prefix=prefix,
                                 neighbours=neighbours, titles=titles, meta={})
    app = create_recsys(RecsysSettings(redis_url=redis_server.url, redis_key_prefix=prefix))
    async with app_client(app) as client:
        by_id = await client.get("/v1/neighbours/ns1")
        by_title = await client.get("/v1/neighbours", params={"title": "First Film"})
    assert by_id.status_code == by_title.status_code == 200
    assert by_id.headers[HEADER] == by_title.headers[HEADER] == version
    assert by_id.json()["neighbours"][0]["id"] == "ns2"
