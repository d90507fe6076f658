"""Downstream failures a real service cannot produce on demand: down, silent, off-contract."""

import threading

import pytest

CATALOG_ROUTES = [
    "/get_max_duration?year=2018&platform=netflix&duration_type=min",
    "/get_score_count?platform=netflix&scored=85&year=2019",
    "/get_count_platform?platform=netflix",
    "/get_actor?platform=netflix&year=2019",
    "/prod_per_county?tipo=pelicula&pais=argentina&anio=2018",
    "/get_contents?rating=tv-ma",
    "/titles/ns1",
]


@pytest.mark.parametrize("url", CATALOG_ROUTES)
async def test_catalog_down_is_a_503_naming_the_catalog(gateway, dead_url, url):
    # The default (long) timeout: a refused connection must be named as such however slowly a
    # loaded machine reports it, never mistaken for a timeout.
    async with gateway(catalog=dead_url, recsys=dead_url) as client:
        response = await client.get(url)
    assert response.status_code == 503
    assert response.json() == {"code": "unavailable",
                               "detail": "The catalog service cannot be reached."}


@pytest.mark.parametrize("url", CATALOG_ROUTES)
async def test_catalog_silent_is_a_503_once_the_timeout_passes(gateway, hanging_url, dead_url,
                                                               url):
    # The server accepts and never answers; without the gateway's bound this call would hang
    # until the test client's own 60 s timeout and raise instead of returning.
    async with gateway(catalog=hanging_url, recsys=dead_url, wait=0.5) as client:
        response = await client.get(url)
    assert response.status_code == 503
    assert response.json()["detail"] == "The catalog service did not answer within 0.5 seconds."


async def test_recsys_down_or_silent_is_a_503_for_recommendations(gateway, dead_url, hanging_url,
                                                                  scripted):
    catalog = scripted()
    async with gateway(catalog=catalog.url, recsys=dead_url, wait=0.5) as client:
        down = await client.get("/get_recommendation?titulo=jaws")
    async with gateway(catalog=catalog.url, recsys=hanging_url, wait=0.5) as client:
        silent = await client.get("/get_recommendation?titulo=jaws")
    assert (down.status_code, silent.status_code) == (503, 503)
    assert down.json()["detail"] == "The recsys service cannot be reached."
    assert silent.json()["detail"] == "The recsys service did not answer within 0.5 seconds."
    assert catalog.requests == []  # no suggestions are looked for when recsys is down


@pytest.mark.parametrize(("status", "body", "sentence"), [
    (500, {"code": "internal_error", "detail": "Internal error; it was logged."},
     "The catalog service answered with status 500."),
    (502, "<html>bad gateway</html>", "The catalog service answered with status 502."),
    (200, "not json at all", "The catalog service answered /v1/count-platform with a body "
                             "the gateway cannot read."),
    (200, {"total": 3}, "The catalog service answered /v1/count-platform with a body "
                        "the gateway cannot read."),
    (404, {"detail": "Not Found"}, "The catalog service does not serve /v1/count-platform "
                                   "(status 404)."),
])
async def test_catalog_broken_answers_are_a_503_with_a_sentence(gateway, scripted, dead_url,
                                                                status, body, sentence):
    catalog = scripted()
    catalog.answer("/v1/count-platform", status, body)
    async with gateway(catalog=catalog.url, recsys=dead_url, wait=0.5) as client:
        response = await client.get("/get_count_platform?platform=hulu")
    assert response.status_code == 503
    assert response.json()["detail"] == sentence
    assert catalog.requests == ["/v1/count-platform?platform=hulu"]


async def test_a_null_answer_breaks_the_contract_never_a_bare_null(gateway, scripted,
                                                                     dead_url):
    # contracts.api says a title is always a string: a miss is the catalog's 404, not null.
    catalog = scripted()
    catalog.answer("/v1/max-duration", 200, {"title": None})
    async with gateway(catalog=catalog.url, recsys=dead_url, wait=0.5) as client:
        response = await client.get("/get_max_duration?year=1950&platform=disney")
    assert response.status_code == 503
    assert response.json() == {
        "code": "unavailable",
        "detail": "The catalog service answered /v1/max-duration with a body the gateway "
                  "cannot read."}


async def test_the_gateway_sends_only_the_filters_given(gateway, scripted, dead_url):
    catalog = scripted()
    catalog.answer("/v1/max-duration", 200, {"title": "heat"})
    async with gateway(catalog=catalog.url, recsys=dead_url, wait=0.5) as client:
        everything = await client.get("/get_max_duration")
        some = await client.get("/get_max_duration?platform=Hulu&duration_type=SEASON")
    assert (everything.json(), some.json()) == ("heat", "heat")
    assert catalog.requests == ["/v1/max-duration",
                                "/v1/max-duration?platform=hulu&duration_type=season"]


async def test_readyz_degrades_by_route_and_names_each_downstream(gateway, scripted, dead_url,
                                                                   hanging_url):
    # One unready downstream used to fail the probe (503), taking every
    # gateway pod out of the Service although half the API works.
    ready, unready = scripted(), scripted()
    ready.answer("/readyz", 200, {"status": "ready"})
    unready.answer("/readyz", 503, {"code": "unavailable", "detail": "Redis is down."})
    cases = {
        (ready.url, ready.url): (200, "ready", {"catalog service": 1, "recsys service": 1}),
        (ready.url, unready.url): (200, "degraded", {"catalog service": 1, "recsys service": 0}),
        (dead_url, ready.url): (200, "degraded", {"catalog service": 0, "recsys service": 1}),
        (hanging_url, dead_url): (503, None, {"catalog service": 0, "recsys service": 0}),
    }
    for (catalog, recsys), (status, state, ready_by_name) in cases.items():
        async with gateway(catalog=catalog, recsys=recsys, wait=0.5) as client:
            response = await client.get("/readyz")
            metrics = (await client.get("/metrics")).text
        assert response.status_code == status
        for name, up in ready_by_name.items():
            assert f'gateway_downstream_ready{{downstream="{name}"}} {up:.1f}' in metrics
        if status == 503:
            assert response.json() == {
                "code": "unavailable",
                "detail": "Not ready: the catalog service and the recsys service are not "
                          "ready; no route can answer."}
            continue
        body = response.json()
        assert body["status"] == state
        assert {name: entry["ready"] for name, entry in body["downstreams"].items()} == {
            name: bool(up) for name, up in ready_by_name.items()}
        for name, entry in body["downstreams"].items():
            assert (entry.get("detail") is None) == entry["ready"]
            if not entry["ready"]:
                assert entry["detail"] == (f"The {name} is not ready: the routes that need "
                                           "it answer 503.")


async def test_title_page_asks_both_services_at_once(gateway, scripted):
    # The catalog stand-in holds its answer until recsys has been asked: a gateway that asked
    # one after the other would leave the catalog waiting, time out, and answer 503.
    recsys_asked = threading.Event()
    catalog, recsys = scripted(), scripted()
    record = {"id": "ns1", "platform": "netflix", "type": "movie", "title": "heat",
              "show_id": "s1", "release_year": 1995}

    def catalog_title(_: dict) -> tuple[int, dict]:
        return (200, record) if recsys_asked.wait(timeout=5) else (500, {})

    def recsys_neighbours(_: dict) -> tuple[int, dict]:
        recsys_asked.set()
        return 200, {"movie_id": "ns1", "title": "heat", "model_version": "v1",
                     "neighbours": [{"id": "ns2", "title": "ronin", "score": 0.5,
                                     "reason": "liked by the same viewers"}]}

    catalog.routes["/v1/titles/ns1"] = catalog_title
    recsys.routes["/v1/neighbours/ns1"] = recsys_neighbours
    async with gateway(catalog=catalog.url, recsys=recsys.url, wait=3) as client:
        response = await client.get("/titles/ns1")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["title"]["title"] == "heat"
    assert page["recommendations"]["available"] is True
    assert [item["title"] for item in page["recommendations"]["items"]] == ["ronin"]
    assert recsys.requests == ["/v1/neighbours/ns1?k=10"]


async def test_title_page_catalog_down_is_a_503_even_when_recsys_answers(gateway, scripted,
                                                                         hanging_url):
    recsys = scripted()
    recsys.answer("/v1/neighbours/ns1", 200, {"movie_id": "ns1", "title": "heat",
                                              "model_version": "v1", "neighbours": []})
    async with gateway(catalog=hanging_url, recsys=recsys.url, wait=0.5) as client:
        response = await client.get("/titles/ns1")
    assert response.status_code == 503
    assert response.json()["detail"] == "The catalog service did not answer within 0.5 seconds."
