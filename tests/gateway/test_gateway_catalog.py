"""The gateway over the real catalog service (a process) on the hand-written sample."""

from typing import Any

import httpx
import pytest
from gateway.config import Settings
from gateway.dependencies import get_catalog_client
from gateway.main import create_app

# Hand-computed answers from tests/fixtures/sample/README.md.
SAMPLE_ANSWERS = [
    ("/get_max_duration?year=2020&platform=netflix&duration_type=min", "another long night"),
    ("/get_max_duration?year=2018&platform=Amazon", "big score"),
    ("/get_max_duration?year=2020&platform=hulu", "night drive"),
    ("/get_actor?platform=netflix&year=2020", "lucia perez"),
    ("/get_actor?platform=AMAZON&year=2018", "ana bell"),
    ("/get_actor?platform=disney&year=2020", "noel parker"),
    ("/get_score_count?platform=amazon&scored=60&year=2018", 2),
    ("/get_count_platform?platform=netflix", 4),
    ("/prod_per_county?tipo=pelicula&pais=argentina&anio=2018",
     {"pais": "argentina", "anio": 2018, "pelicula": 5}),
    ("/prod_per_county?tipo=Series&pais=Argentina&anio=2018",
     {"pais": "argentina", "anio": 2018, "serie": 2}),
    ("/prod_per_county?tipo=documentary&pais=argentina&anio=2018",
     {"pais": "argentina", "anio": 2018, "documental": 5}),
    ("/prod_per_county?tipo=pelicula&pais=argentina&anio=1999",
     {"pais": "argentina", "anio": 1999, "pelicula": 0}),
    ("/get_contents?rating=TV-MA", 5),
    ("/get_contents?rating=g", 7),
]


@pytest.mark.parametrize(("url", "expected"), SAMPLE_ANSWERS)
async def test_sample_answers_pass_through_unchanged(gateway, catalog_sample, dead_url, url,
                                                     expected):
    async with gateway(catalog=catalog_sample, recsys=dead_url) as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.json() == expected


async def test_a_plus_in_a_rating_reaches_the_catalog_intact(gateway, catalog_sample, dead_url):
    async with gateway(catalog=catalog_sample, recsys=dead_url) as client:
        encoded = await client.get("/get_contents", params={"rating": "13+"})
        typed = await client.get("/get_contents?rating=13+")  # '+' in a URL is a space
    assert (encoded.status_code, encoded.json()) == (200, 1)
    assert typed.status_code == 404
    assert typed.json()["suggestions"] == ["13+"]
    assert "%2B" in typed.json()["detail"]


@pytest.mark.parametrize(("url", "parameter", "words"), [
    ("/get_actor?platform=hulu&year=1950", None, ["hulu", "1950"]),
    ("/get_max_duration?year=1950", None, ["1950"]),
    ("/prod_per_county?tipo=pelicula&pais=atlantis&anio=2018", "pais", ["atlantis"]),
    ("/get_contents?rating=x-99", "rating", ["x-99"]),
    ("/titles/ns999", "id", ["ns999"]),
])
async def test_catalog_misses_pass_through_as_404_with_its_sentence(gateway, catalog_sample,
                                                                    dead_url, url, parameter,
                                                                    words):
    async with gateway(catalog=catalog_sample, recsys=dead_url) as client:
        through_gateway = await client.get(url)
    internal = {
        "/get_actor": "/v1/actor", "/get_max_duration": "/v1/max-duration",
        "/prod_per_county": "/v1/country-production", "/get_contents": "/v1/contents",
    }
    path, _, query = url.partition("?")
    # The internal API speaks English where the public one keeps the spec's Spanish names.
    for public, english in (("tipo=", "kind="), ("pais=", "country="), ("anio=", "year=")):
        query = query.replace(public, english)
    async with httpx.AsyncClient(base_url=catalog_sample) as catalog:
        catalog_says = (await catalog.get(f"{internal.get(path, '/v1' + path)}?{query}")).json()
    assert through_gateway.status_code == 404
    body = through_gateway.json()
    assert body["code"] == "not_found"
    assert body.get("parameter") == parameter
    for word in words:
        assert word in body["detail"]
    # The sentence is the catalog's own, not one the gateway made up.
    assert body["detail"] == catalog_says["detail"]
    if parameter == "rating":
        assert "tv-ma" in body["accepted"]


async def test_title_page_with_recsys_down_still_returns_the_record(gateway, catalog_sample,
                                                                    dead_url, hanging_url):
    async with gateway(catalog=catalog_sample, recsys=dead_url, wait=1) as client:
        down = await client.get("/titles/NS1")
    async with gateway(catalog=catalog_sample, recsys=hanging_url, wait=1) as client:
        silent = await client.get("/titles/ns1")
    for response in (down, silent):
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["title"]["id"] == "ns1"
        assert page["title"]["title"] == "the long night"
        assert page["title"]["platform"] == "netflix"
        assert page["title"]["duration_int"] == 150
        assert page["recommendations"]["available"] is False
        assert page["recommendations"]["items"] == []
    assert down.json()["recommendations"]["detail"] == (
        "Recommendations are unavailable: The recsys service cannot be reached.")
    assert silent.json()["recommendations"]["detail"] == (
        "Recommendations are unavailable: The recsys service did not answer within 1 second.")


async def test_title_page_when_recsys_has_no_neighbours_for_the_id(gateway, catalog_sample,
                                                                   scripted):
    # A tv show has a catalog record but no neighbours: the recsys 404 is not the page's 404.
    recsys = scripted()
    recsys.answer("/v1/neighbours/ns4", 404,
                  {"code": "not_found", "detail": "No neighbours for movie 'ns4'."})
    async with gateway(catalog=catalog_sample, recsys=recsys.url) as client:
        response = await client.get("/titles/ns4")
    assert response.status_code == 200
    page = response.json()
    assert page["title"]["type"] == "tv show"
    assert page["recommendations"] == {"available": False, "items": [],
                                       "detail": "No neighbours for movie 'ns4'."}


async def test_title_page_unknown_id_is_a_404_whatever_recsys_says(gateway, catalog_sample,
                                                                   scripted):
    recsys = scripted()
    recsys.answer("/v1/neighbours/ns999", 200, {"movie_id": "ns999", "title": "x",
                                                "model_version": "v1", "neighbours": []})
    async with gateway(catalog=catalog_sample, recsys=recsys.url) as client:
        response = await client.get("/titles/ns999")
    assert response.status_code == 404
    assert response.json()["detail"] == "No title with id 'ns999' in the catalog."


async def test_gateway_process_serves_the_catalog_over_http(start_service, catalog_sample,
                                                            dead_url):
    # The way `make up` runs it: uvicorn --factory gateway.main:create_app with env settings.
    gateway_process = start_service("gateway.main:create_app", {
        "CATALOG_SERVICE_URL": catalog_sample, "RECSYS_SERVICE_URL": dead_url,
        "DOWNSTREAM_TIMEOUT_SECONDS": "5"})
    async with httpx.AsyncClient(base_url=gateway_process.url, timeout=30) as client:
        count = await client.get("/get_count_platform", params={"platform": "netflix"})
        bad = await client.get("/get_count_platform", params={"platform": "hbo"})
        ready = await client.get("/readyz")
    assert (count.status_code, count.json()) == (200, 4)
    assert bad.status_code == 422
    assert bad.json()["parameter"] == "platform"
    assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
    assert ready.json()["downstreams"]["recsys service"]["ready"] is False


class _AnsweringCatalog:
    """A catalog client that knows one longest film and asks no downstream."""

    async def max_duration(self, **_: Any) -> str:
        return "a film from the override"


async def test_a_dependency_override_replaces_the_catalog_client(app_client, dead_url):
    async def answering_catalog() -> _AnsweringCatalog:
        return _AnsweringCatalog()

    app = create_app(Settings(catalog_service_url=dead_url, recsys_service_url=dead_url))
    async with app_client(app, base_url="http://gateway") as client:
        assert (await client.get("/get_max_duration")).status_code == 503
        app.dependency_overrides[get_catalog_client] = answering_catalog
        response = await client.get("/get_max_duration", params={"year": 2018})
    assert response.status_code == 200, response.text
    assert response.json() == "a film from the override"
