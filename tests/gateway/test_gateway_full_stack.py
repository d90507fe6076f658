"""The gateway over both real services: catalog (sample) and recsys reading a real Redis."""

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="module")
def recsys_real(redis_server: Any, start_service: Callable[..., Any],
                hand_written_model: Any) -> str:
    """recsys-service as a process over a version published under a prefix of our own."""
    prefix = hand_written_model.publish(redis_server.url, meta={"model_version": "gateway-test"},
                                        prefix_name="test-gateway")
    service = start_service("recsys_service.main:create_app",
                            {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    return service.url


async def test_recommendation_is_the_five_best_titles(gateway, catalog_sample, recsys_real,
                                                      hand_written_model):
    model = hand_written_model
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/get_recommendation", params={"titulo": "The Long Night!"})
    assert response.status_code == 200, response.text
    assert response.json() == [model.movies[other] for other, _, _ in model.neighbours_of_ns1[:5]]


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


async def test_title_page_has_the_record_and_the_reasons(gateway, catalog_sample, recsys_real,
                                                         hand_written_model):
    model = hand_written_model
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
        (other, model.movies[other], reason) for other, _, reason in model.neighbours_of_ns1]
    assert [i["score"] for i in items] == pytest.approx(
        [score for _, score, _ in model.neighbours_of_ns1])


async def test_title_page_of_a_title_the_model_lacks_has_no_recommendations(
        gateway, catalog_sample, recsys_real):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        response = await client.get("/titles/hs9")  # a catalog show the model does not name
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["title"]["type"] == "tv show"
    assert page["recommendations"]["available"] is False
    assert page["recommendations"]["items"] == []
    assert "hs9" in page["recommendations"]["detail"]


async def test_ready_when_both_services_are(gateway, catalog_sample, recsys_real, dead_url):
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        ready = await client.get("/readyz")
    async with gateway(catalog=dead_url, recsys=recsys_real, wait=0.5) as client:
        degraded = await client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    # Recommendations still work without the catalog: the pod stays in the Service.
    assert (degraded.status_code, degraded.json()["status"]) == (200, "degraded")
    assert degraded.json()["downstreams"]["catalog service"]["ready"] is False
    assert degraded.json()["downstreams"]["recsys service"]["ready"] is True


async def test_filters_platforms_and_taste_through_real_processes(gateway, catalog_sample,
                                                                   recsys_real):
    """Answers worked out by hand from the hand-written model (tests/conftest.py)."""
    async with gateway(catalog=catalog_sample, recsys=recsys_real) as client:
        hulu = await client.get("/get_recommendation",
                                params={"titulo": "the long night", "platform": "HULU"})
        page = await client.get("/titles/ns1", params={"platform": ["hulu", "disney"]})
        show = await client.get("/get_recommendation", params={"titulo": "Blue Waters"})
        taste = await client.post("/recommendations", json={
            "liked": ["the long night", "the long nigth ii"], "platform": ["hulu"]})
        none = await client.post("/recommendations", json={"liked": ["the long nigth ii"]})
        search = await client.get("/search", params={"q": "the long", "limit": 3})
    # hulu's two neighbours of ns1, best first: night drive 0.80, morning drive 0.51.
    assert hulu.json() == ["night drive", "morning drive"]
    items = page.json()["recommendations"]["items"]
    assert [(i["id"], i["available_on"]) for i in items] == [
        ("hs7", ["hulu"]), ("hs8", ["hulu"]), ("ds8", ["disney"])]
    assert page.json()["title"]["available_on"] == ["netflix"]
    assert show.json() == ["the chronicles", "quiet town"]  # a show gets shows
    body = taste.json()
    assert [(i["title"], i["score"], i["because"]) for i in body["items"]] == [
        ("night drive", 0.8, ["the long night"]), ("morning drive", 0.51, ["the long night"])]
    assert body["unknown"][0]["query"] == "the long nigth ii"
    assert "the long night" in body["unknown"][0]["suggestions"]
    assert none.status_code == 404
    assert none.json()["parameter"] == "liked"
    assert "the long night" in none.json()["suggestions"]
    hits = search.json()["results"]
    assert search.status_code == 200
    assert hits[0]["title"] == "the long night"
    assert hits[0]["available_on"] == ["netflix"]
    assert 0 < hits[0]["similarity"] <= 100
