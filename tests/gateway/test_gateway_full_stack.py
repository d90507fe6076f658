"""The gateway over both real services: catalog (sample) and recsys reading a real Redis."""

import uuid
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from etl_job.publish import publish_neighbours

# Sample movies (tests/fixtures/sample) and a hand-written neighbour list for one of them.
MOVIES = {
    "ns1": "the long night", "ns2": "another long night", "ns3": "short film",
    "ns5": "tango story", "as8": "last tango", "hs7": "night drive", "hs8": "morning drive",
    "ds8": "winter song",
}
NEIGHBOURS_OF_NS1 = [
    ("ns2", 0.91, "shared director: ana ruiz"), ("hs7", 0.80, "shared genres: dramas"),
    ("as8", 0.72, "liked by the same viewers"), ("ns5", 0.64, "shared country: argentina"),
    ("hs8", 0.51, "liked by the same viewers"), ("ds8", 0.40, "shared genres: dramas"),
]


@pytest.fixture(scope="module")
def recsys_real(redis_server: Any, start_service: Callable[..., Any]) -> str:
    """recsys-service as a process over a version published under a prefix of our own."""
    prefix = f"test-gateway-{uuid.uuid4().hex[:8]}"
    neighbours = pl.DataFrame(
        [{"movie_id": "ns1", "rank": rank, "neighbour_id": other, "score": score,
          "reason": reason} for rank, (other, score, reason) in enumerate(NEIGHBOURS_OF_NS1, 1)],
        schema={"movie_id": pl.String, "rank": pl.Int32, "neighbour_id": pl.String,
                "score": pl.Float64, "reason": pl.String})
    titles = pl.DataFrame({"id": list(MOVIES), "title": list(MOVIES.values())})
    publish_neighbours(redis_url=redis_server.url, key_prefix=prefix, neighbours=neighbours,
                       titles=titles, meta={"model_version": "gateway-test"})
    service = start_service("recsys_service.main:create_app",
                            {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    return service.url


async def test_recommendation_is_the_five_best_titles(gateway, catalog_sample, recsys_real):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/get_recommendation", params={"titulo": "The Long Night!"})
    assert response.status_code == 200, response.text
    assert response.json() == [MOVIES[other] for other, _, _ in NEIGHBOURS_OF_NS1[:5]]


async def test_unknown_title_gets_suggestions_from_the_catalog(gateway, catalog_sample,
                                                              recsys_real):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/get_recommendation", params={"titulo": "the long nigth"})
    assert response.status_code == 404
    body = response.json()
    assert body["parameter"] == "titulo"
    assert "the long nigth" in body["detail"]
    assert body["suggestions"][0] == "the long night"
    assert len(body["suggestions"]) <= 5


async def test_title_page_has_the_record_and_the_reasons(gateway, catalog_sample, recsys_real):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/titles/ns1")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["title"]["title"] == "the long night"
    assert page["title"]["release_year"] == 2020
    assert page["recommendations"]["available"] is True
    assert page["recommendations"]["detail"] is None
    items = page["recommendations"]["items"]
    assert [(i["id"], i["title"], i["reason"]) for i in items] == [
        (other, MOVIES[other], reason) for other, _, reason in NEIGHBOURS_OF_NS1]
    assert [i["score"] for i in items] == pytest.approx([s for _, s, _ in NEIGHBOURS_OF_NS1])


async def test_title_page_of_a_show_has_no_recommendations(gateway, catalog_sample, recsys_real):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/titles/ns4")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["title"]["type"] == "tv show"
    assert page["recommendations"]["available"] is False
    assert page["recommendations"]["items"] == []
    assert "ns4" in page["recommendations"]["detail"]


async def test_ready_when_both_services_are(gateway, catalog_sample, recsys_real, dead_url):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        ready = await client.get("/readyz")
    async with gateway(catalog=dead_url, recsys=recsys_real, wait=0.5) as client:
        unready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert unready.status_code == 503
    assert unready.json()["detail"] == "Not ready: the catalog service is not ready."
