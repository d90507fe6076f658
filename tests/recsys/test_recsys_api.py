"""The recsys internal API in-process, reading a real Redis the tests published into."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from etl_job.publish import rollback
from recsys_service.clients import NeighbourStore
from recsys_service.config import Settings
from recsys_service.dependencies import get_store
from recsys_service.main import create_app
from testkit.apps import AppClient


def _ids(body: dict) -> list[str]:
    return [n["id"] for n in body["neighbours"]]


async def test_neighbours_by_id(client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    version = publish()
    response = await client.get("/v1/neighbours/ns1")

    assert response.status_code == 200
    assert response.json() == {
        "movie_id": "ns1", "title": "the matrix", "model_version": version,
        "neighbours": [
            {"id": "hs2", "title": "inception", "score": 0.9, "reason": "shared genres: sci-fi",
             "type": "movie", "release_year": 2010, "available_on": ["hulu"]},
            {"id": "hs1", "title": "alien", "score": 0.7, "reason": "liked by the same viewers",
             "type": "movie", "release_year": 1979, "available_on": ["hulu"]},
            {"id": "as2", "title": "heat", "score": 0.4, "reason": "shared genres: action",
             "type": "movie", "release_year": 1986, "available_on": ["amazon"]},
            {"id": "ds1", "title": "toy story", "score": 0.3,
             "reason": "liked by the same viewers", "type": "movie", "release_year": 1995,
             "available_on": ["disney"]},
        ]}


async def test_k_cuts_the_list(client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    publish()
    response = await client.get("/v1/neighbours/ns1", params={"k": 2})

    assert response.status_code == 200
    assert _ids(response.json()) == ["hs2", "hs1"]


async def test_by_id_drops_an_entry_carrying_the_movies_own_title(
        client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    publish()
    # as1's stored list starts with ns1, "the matrix" again: the same film on another platform.
    body = (await client.get("/v1/neighbours/as1")).json()

    assert _ids(body) == ["hs1", "ns4", "ns3"]


@pytest.mark.parametrize("k", ["0", "61", "many"])
async def test_bad_k_is_a_422_naming_k(client: httpx.AsyncClient, publish: Callable[..., str],
                                       k: str) -> None:
    publish()
    response = await client.get("/v1/neighbours/ns1", params={"k": k})

    assert response.status_code == 422
    assert response.json()["parameter"] == "k"


async def test_unknown_id_is_a_404(client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    publish()
    response = await client.get("/v1/neighbours/xs999")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert "xs999" in body["detail"]


@pytest.mark.parametrize(("title", "ids"), [
    ("Amélie", ["ns5"]),
    ("AMELIE", ["ns5"]),
    ("  amelie!! ", ["ns5"]),
    ("Schindler\u2019s   List", ["ns3"]),
    ("SCHINDLERS LIST", ["ns3"]),
    ("toy-story", ["ds1"]),
])
async def test_title_lookup_forgives_case_accents_punctuation_spaces(
        client: httpx.AsyncClient, publish: Callable[..., str], title: str,
        ids: list[str]) -> None:
    publish()
    response = await client.get("/v1/neighbours", params={"title": title})

    assert response.status_code == 200
    assert response.json()["matched_ids"] == ids


async def test_a_shared_title_merges_its_entries(
        client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    version = publish()
    response = await client.get("/v1/neighbours", params={"title": "The Matrix", "k": 20})

    assert response.status_code == 200
    body = response.json()
    assert (body["query"], body["matched_ids"], body["model_version"]) == (
        "The Matrix", ["as1", "ns1"], version)
    # ns1 (as1's top entry) is the query title; alien keeps as1's better score and reason;
    # the two films titled "heat" (ns4 1995, 0.6 from as1; as2 1986, 0.4 from ns1) stay two.
    assert [(n["id"], n["score"], n["reason"]) for n in body["neighbours"]] == [
        ("hs2", 0.9, "shared genres: sci-fi"),
        ("hs1", 0.8, "director: ridley scott"),
        ("ns4", 0.6, "cast: keanu reeves"),
        ("ns3", 0.5, "liked by the same viewers"),
        ("as2", 0.4, "shared genres: action"),
        ("ds1", 0.3, "liked by the same viewers"),
    ]


async def test_title_k_defaults_to_five(client: httpx.AsyncClient,
                                        publish: Callable[..., str]) -> None:
    publish()
    body = (await client.get("/v1/neighbours", params={"title": "the matrix"})).json()

    assert len(body["neighbours"]) == 5
    short = (await client.get("/v1/neighbours", params={"title": "the matrix", "k": 2})).json()
    assert _ids(short) == ["hs2", "hs1"]


async def test_unknown_title_is_a_404_with_a_sentence(
        client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    publish()
    response = await client.get("/v1/neighbours", params={"title": "The Matrixx"})

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert body["parameter"] == "title"
    assert "The Matrixx" in body["detail"]


@pytest.mark.parametrize("title", ["!!!", ""])
async def test_a_title_without_letters_is_a_422(client: httpx.AsyncClient,
                                                publish: Callable[..., str], title: str) -> None:
    publish()
    response = await client.get("/v1/neighbours", params={"title": title})

    assert response.status_code == 422
    assert response.json()["parameter"] == "title"


async def test_model_meta(client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    version = publish()
    response = await client.get("/v1/model")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == version
    assert body["metrics"] == {"blend": {"hr_at_5": 0.31, "tail_hr_at_5": 0.12}}
    assert body["model"]["model_version"] == "hybrid-test"
    assert (body["movies"], body["movies_with_neighbours"]) == (9, 9)


async def test_readiness_needs_a_published_version(
        client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    assert (await client.get("/healthz")).status_code == 200
    not_ready = await client.get("/readyz")
    assert not_ready.status_code == 503
    assert "published" in not_ready.json()["detail"]
    assert (await client.get("/v1/neighbours/ns1")).status_code == 503

    version = publish()
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["model_version"] == version


async def test_a_new_version_and_a_rollback_show_without_restart(
        client: httpx.AsyncClient, publish: Callable[..., str], frames: Callable,
        redis_server, prefix: str) -> None:
    first = publish()
    titles, neighbours = frames({"ns1": "the matrix", "hs1": "alien"},
                                {"ns1": [("hs1", 0.99, "retrained")]})
    second = publish(titles=titles, neighbours=neighbours)

    body = (await client.get("/v1/neighbours/ns1")).json()
    assert (body["model_version"], _ids(body)) == (second, ["hs1"])
    assert (await client.get("/v1/neighbours/hs2")).status_code == 404

    rollback(redis_url=redis_server.url, key_prefix=prefix)
    body = (await client.get("/v1/neighbours/ns1")).json()
    assert (body["model_version"], _ids(body)) == (first, ["hs2", "hs1", "as2", "ds1"])


async def test_metrics_show_redis_read_latency_by_operation(
        client: httpx.AsyncClient, publish: Callable[..., str]) -> None:
    publish()
    assert (await client.get("/v1/neighbours/ns1")).status_code == 200
    assert (await client.get("/v1/neighbours", params={"title": "the matrix"})).status_code == 200
    # A platform filter decodes the lists: the reads of the lists, not of the pages.
    assert (await client.get("/v1/neighbours", params={"title": "alien",
                                                       "platform": "hulu"})).status_code == 200
    text = (await client.get("/metrics")).text
    assert 'redis_read_duration_seconds_count{operation="page",outcome="ok"} 1.0' in text
    assert 'redis_read_duration_seconds_count{operation="title_page",outcome="ok"} 1.0' in text
    assert 'redis_read_duration_seconds_count{operation="title",outcome="ok"} 1.0' in text
    assert 'operation="movie"' not in text
    assert ('http_requests_total{method="GET",route="/v1/neighbours/{movie_id}",'
            'service="recsys-service",status="200"} 1.0') in text


async def test_a_dependency_override_replaces_the_store_on_every_route(
        redis_server: Any, publish: Callable[..., str], prefix: str,
        app_client: AppClient) -> None:
    version = publish()
    # The app itself reads a prefix nothing was published under: only the override can answer.
    app = create_app(Settings(redis_url=redis_server.url, redis_key_prefix=f"{prefix}-empty"))
    published = NeighbourStore.from_settings(
        Settings(redis_url=redis_server.url, redis_key_prefix=prefix))

    async def published_store() -> NeighbourStore:
        return published

    async with app_client(app, base_url="http://recsys") as plain:
        assert (await plain.get("/v1/neighbours/ns1")).status_code == 503
    app.dependency_overrides[get_store] = published_store
    try:
        async with app_client(app, base_url="http://recsys") as overridden:
            by_id = await overridden.get("/v1/neighbours/ns1", params={"k": 1})
            by_title = await overridden.get("/v1/neighbours", params={"title": "heat"})
            ready = await overridden.get("/readyz")
    finally:
        await published.aclose()
    assert by_id.status_code == 200, by_id.text
    assert _ids(by_id.json()) == ["hs2"]
    assert by_title.status_code == 200, by_title.text
    assert ready.json() == {"status": "ready", "model_version": version}
