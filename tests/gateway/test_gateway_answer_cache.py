"""The performance changes the benchmark led to: data-version headers and the gateway's cache."""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from asgi_lifespan import LifespanManager
from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as create_catalog
from etl_job.publish import publish_neighbours
from gateway.cache import AnswerCache
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from gateway.response_cache import CacheTicket
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as create_recsys

HEADER = "x-data-version"


def test_cache_keeps_an_answer_of_the_current_version():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    cache.put("/a", "answer a", version="v1")
    assert cache.get("/a") == "answer a"
    assert cache.get("/b") is None


def test_an_answer_of_another_version_drops_everything_kept():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    cache.put("/a", "old a", version="v1")
    cache.put("/b", "new b", version="v2")
    assert cache.get("/a") is None
    assert cache.get("/b") == "new b"
    assert cache.version == "v2"


def test_answers_without_a_version_or_with_a_zero_ttl_are_not_kept():
    unversioned: AnswerCache[str] = AnswerCache(ttl=60, max_entries=10)
    unversioned.put("/a", "answer", version=None)
    off: AnswerCache[str] = AnswerCache(ttl=0, max_entries=10)
    off.put("/a", "answer", version="v1")
    assert unversioned.get("/a") is None
    assert off.get("/a") is None


def test_an_answer_older_than_the_ttl_is_not_served():
    cache: AnswerCache[str] = AnswerCache(ttl=0.05, max_entries=10)
    cache.put("/a", "answer", version="v1")
    time.sleep(0.1)
    assert cache.get("/a") is None
    assert len(cache) == 0


def test_the_least_recently_used_answer_goes_first_when_full():
    cache: AnswerCache[str] = AnswerCache(ttl=60, max_entries=2)
    cache.put("/a", "a", version="v1")
    cache.put("/b", "b", version="v1")
    assert cache.get("/a") == "a"  # /b is now the least recently used
    cache.put("/c", "c", version="v1")
    assert cache.get("/b") is None
    assert (cache.get("/a"), cache.get("/c")) == ("a", "c")


class StandIn:
    """An HTTP stand-in for a downstream: scripted answers by path prefix, every call counted.

    It names `version` in X-Data-Version unless `version` is None.
    """

    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        self.calls: list[str] = []
        self.version: str | None = "run-1"
        self.answers = answers
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.calls.append(self.path)
                status, body = next(
                    (answer for prefix, answer in stand_in.answers.items()
                     if self.path.startswith(prefix)),
                    (404, {"code": "not_found", "detail": "No such title."}))
                if callable(body):
                    body = body(stand_in)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if stand_in.version is not None:
                    self.send_header("X-Data-Version", stand_in.version)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RECORD = {"id": "ns1", "platform": "netflix", "type": "movie", "title": "first film",
          "show_id": "s1", "release_year": 2001}
NEIGHBOURS = {"movie_id": "ns1", "title": "first film", "model_version": "m1", "neighbours": [
    {"id": "ns2", "title": "second film", "score": 0.5, "reason": "liked by the same viewers"}]}


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn({
        "/v1/count-platform": (200, lambda s: {"count": 7 if s.version == "run-1" else 8}),
        "/v1/titles/ns1": (200, RECORD),
    })
    yield server
    server.stop()


@pytest.fixture
def recsys_stand_in() -> Iterator[StandIn]:
    server = StandIn({"/v1/neighbours/ns1": (200, NEIGHBOURS)})
    yield server
    server.stop()


def _gateway(catalog: str, recsys: str, cache_seconds: float) -> Any:
    settings = GatewaySettings(catalog_service_url=catalog, recsys_service_url=recsys,
                               downstream_cache_seconds=cache_seconds)
    return create_gateway(settings)


async def test_gateway_asks_the_catalog_once_per_question_and_version(stand_in, unused_port):
    app = _gateway(stand_in.url, f"http://127.0.0.1:{unused_port()}", cache_seconds=0.3)
    async with (LifespanManager(app) as manager,
                httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                                  base_url="http://gateway") as client):
        first = await client.get("/get_count_platform", params={"platform": "hulu"})
        again = await client.get("/get_count_platform", params={"platform": "hulu"})
        missing = [await client.get("/titles/ns99") for _ in range(2)]
        calls_before_expiry = list(stand_in.calls)
        stand_in.version = "run-2"
        await asyncio.sleep(0.4)
        renewed = await client.get("/get_count_platform", params={"platform": "hulu"})
    assert (first.json(), again.json(), renewed.json()) == (7, 7, 8)
    assert [m.status_code for m in missing] == [404, 404]
    assert missing[0].json() == missing[1].json()
    assert calls_before_expiry == ["/v1/count-platform?platform=hulu", "/v1/titles/ns99"]
    assert stand_in.calls[-1] == "/v1/count-platform?platform=hulu"


async def test_gateway_with_the_cache_off_asks_every_time(stand_in, unused_port):
    app = _gateway(stand_in.url, f"http://127.0.0.1:{unused_port()}", cache_seconds=0)
    async with (LifespanManager(app) as manager,
                httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                                  base_url="http://gateway") as client):
        for _ in range(3):
            assert (await client.get("/get_count_platform",
                                     params={"platform": "hulu"})).json() == 7
    assert len(stand_in.calls) == 3


async def _get_twice(app: Any, path: str) -> list[httpx.Response]:
    async with (LifespanManager(app) as manager,
                httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                                  base_url="http://gateway") as client):
        answers = [await client.get(path) for _ in range(2)]
        answers.append(await client.get("/metrics"))
    return answers


async def test_a_kept_public_answer_is_the_same_answer_with_its_own_request_id(
        stand_in, recsys_stand_in):
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, metrics = await _get_twice(app, "/titles/ns1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.json()["recommendations"]["items"][0]["id"] == "ns2"
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert stand_in.calls == ["/v1/titles/ns1"]
    assert recsys_stand_in.calls == ["/v1/neighbours/ns1?k=10"]
    assert ('http_requests_total{method="GET",route="/titles/{id}",service="gateway",'
            'status="200"} 2.0') in metrics.text


async def test_an_answer_made_around_a_failure_is_not_kept(stand_in, recsys_stand_in):
    recsys_stand_in.answers = {"/v1/neighbours": (500, {"detail": "boom"})}
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, _ = await _get_twice(app, "/titles/ns1")
    assert first.json()["recommendations"]["available"] is False
    assert second.json() == first.json()
    assert len(recsys_stand_in.calls) == 2  # asked again: the first page was not kept


async def test_answers_of_unversioned_downstreams_are_never_kept(stand_in, recsys_stand_in):
    stand_in.version = recsys_stand_in.version = None
    app = _gateway(stand_in.url, recsys_stand_in.url, cache_seconds=60)
    first, second, _ = await _get_twice(app, "/titles/ns1")
    assert first.content == second.content
    assert stand_in.calls == ["/v1/titles/ns1", "/v1/titles/ns1"]


def test_ticket_refuses_unversioned_mixed_or_failed_answers():
    unversioned, mixed, failed, fine = (CacheTicket() for _ in range(4))
    unversioned.used("catalog service", None)
    mixed.used("catalog service", "v1")
    mixed.used("catalog service", "v2")
    failed.used("catalog service", "v1")
    failed.failed()
    fine.used("catalog service", "v1")
    fine.used("recsys service", "m1")
    assert [t.cacheable for t in (unversioned, mixed, failed, fine)] == [False, False, False,
                                                                         True]
    assert fine.versions == {"catalog service": "v1", "recsys service": "m1"}


async def test_catalog_answers_name_their_data_version(sample_catalog_dir: Path):
    run_id = json.loads((sample_catalog_dir / "manifest.json").read_text())["run_id"]
    app = create_catalog(CatalogSettings(catalog_path=sample_catalog_dir))
    async with (LifespanManager(app) as manager,
                httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                                  base_url="http://catalog") as client):
        found = await client.get("/v1/count-platform", params={"platform": "netflix"})
        missing = await client.get("/v1/titles/ns999999")
    assert found.status_code == 200
    assert found.headers[HEADER] == run_id
    assert missing.status_code == 404
    assert missing.headers[HEADER] == run_id


async def test_recsys_answers_name_their_model_version(redis_server):
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
    async with (LifespanManager(app) as manager,
                httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                                  base_url="http://recsys") as client):
        by_id = await client.get("/v1/neighbours/ns1")
        by_title = await client.get("/v1/neighbours", params={"title": "First Film"})
    assert by_id.status_code == by_title.status_code == 200
    assert by_id.headers[HEADER] == by_title.headers[HEADER] == version
    assert by_id.json()["neighbours"][0]["id"] == "ns2"
