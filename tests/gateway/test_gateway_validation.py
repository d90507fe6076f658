"""Bad input is refused before any downstream is asked; the docs list every route."""

import os
import subprocess
import sys

import pytest

# Both downstreams point at a closed port: had the gateway called one, the answer would be a
# 503, so a 422 proves the value was refused before any call went out.
BAD_INPUT = [
    ("/get_max_duration?platform=hbo", "platform", ["amazon", "disney", "hulu", "netflix"]),
    ("/get_max_duration?year=last", "year", ["integer"]),
    ("/get_max_duration?year=1899", "year", ["1900"]),
    ("/get_max_duration?year=2101", "year", ["2100"]),
    ("/get_max_duration?duration_type=hours", "duration_type", ["min", "season"]),
    ("/get_score_count?platform=netflix&scored=85", "year", ["required"]),
    ("/get_score_count?scored=85&year=2019", "platform", ["required"]),
    ("/get_score_count?platform=netflix&year=2019", "scored", ["required"]),
    ("/get_score_count?platform=hbo&scored=85&year=2019", "platform", ["netflix"]),
    ("/get_score_count?platform=netflix&scored=101&year=2019", "scored", ["100"]),
    ("/get_score_count?platform=netflix&scored=-1&year=2019", "scored", ["0"]),
    ("/get_score_count?platform=netflix&scored=high&year=2019", "scored", ["integer"]),
    ("/get_score_count?platform=netflix&scored=85&year=1800", "year", ["1900"]),
    ("/get_count_platform", "platform", ["required"]),
    ("/get_count_platform?platform=", "platform", ["amazon", "netflix"]),
    ("/get_count_platform?platform=prime", "platform", ["amazon", "disney", "hulu", "netflix"]),
    ("/get_actor?platform=netflix", "year", ["required"]),
    ("/get_actor?year=2019", "platform", ["required"]),
    ("/get_actor?platform=netflix&year=20x9", "year", ["integer"]),
    ("/get_actor?platform=max&year=2019", "platform", ["netflix"]),
    ("/prod_per_county?pais=argentina&anio=2018", "tipo", ["required"]),
    ("/prod_per_county?tipo=cortometraje&pais=argentina&anio=2018", "tipo",
     ["pelicula", "serie", "documental"]),
    ("/prod_per_county?tipo=pelicula&anio=2018", "pais", ["required"]),
    ("/prod_per_county?tipo=pelicula&pais=%20%20&anio=2018", "pais", []),
    ("/prod_per_county?tipo=pelicula&pais=" + "x" * 201 + "&anio=2018", "pais", ["200"]),
    ("/prod_per_county?tipo=pelicula&pais=argentina", "anio", ["required"]),
    ("/prod_per_county?tipo=pelicula&pais=argentina&anio=dos", "anio", ["integer"]),
    ("/prod_per_county?tipo=pelicula&pais=argentina&anio=3000", "anio", ["2100"]),
    ("/get_contents", "rating", ["required"]),
    ("/get_contents?rating=", "rating", []),
    ("/get_recommendation", "titulo", ["required"]),
    # A title with no letter or digit says so in the project's words, blank ones too.
    ("/get_recommendation?titulo=", "titulo", ["letter or digit"]),
    ("/get_recommendation?titulo=%20%20", "titulo", ["letter or digit"]),
    ("/get_recommendation?titulo=" + "a" * 201, "titulo", ["200"]),
    ("/get_recommendation?titulo=%21%3F%20...", "titulo", ["letter or digit"]),
    ("/search?q=%20%20", "q", ["letter or digit"]),
    ("/search?q=%E2%80%94", "q", ["letter or digit"]),
    ("/search?q=" + "a" * 101, "q", ["100"]),
    ("/get_recommendation?titulo=up&max_age=toddler", "max_age", ["kids", "family", "adult"]),
    ("/titles/ns42?max_age=18", "max_age", ["kids", "teen"]),
    ("/titles/jaws", "id", ["catalog id", "ns42"]),
    ("/titles/xs12", "id", ["catalog id"]),
    ("/titles/ns12;drop", "id", ["catalog id"]),
]


@pytest.mark.parametrize(("url", "parameter", "mentions"), BAD_INPUT)
async def test_bad_input_is_a_422_naming_the_parameter(gateway, dead_url, url, parameter,
                                                       mentions):
    async with gateway(catalog=dead_url, recsys=dead_url, wait=0.5) as client:
        response = await client.get(url)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert body["parameter"] == parameter
    assert f"'{parameter}'" in body["detail"]
    for word in mentions:
        assert word in body["detail"], body["detail"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("url", [
    "/get_max_duration?platform=NETFLIX&duration_type=%20Min%20",
    "/get_score_count?platform=Hulu&scored=0&year=1900",
    "/get_score_count?platform=disney&scored=100&year=2100",
    "/prod_per_county?tipo=Movie&pais=Argentina&anio=2018",
    "/prod_per_county?tipo=tv%20show&pais=argentina&anio=2018",
    "/prod_per_county?tipo=documentary&pais=argentina&anio=2018",
    "/titles/NS42",
    "/search?q=%E5%8D%83%E3%81%A8%E5%8D%83%E5%B0%8B",  # titles are Unicode: 千と千尋
    "/search?q=%C3%A9t%C3%A9",
])
async def test_forgiving_spellings_pass_validation_and_reach_the_downstream(gateway, dead_url, url):
    # Accepted input goes on to the (closed) catalog, so it becomes a 503, not a 422.
    async with gateway(catalog=dead_url, recsys=dead_url, wait=0.5) as client:
        response = await client.get(url)
    assert response.status_code == 503, response.text
    assert "catalog service" in response.json()["detail"]


PUBLIC_ROUTES = {
    "/get_max_duration": {"year", "platform", "duration_type"},
    "/get_score_count": {"platform", "scored", "year"},
    "/get_count_platform": {"platform"},
    "/get_actor": {"platform", "year"},
    "/prod_per_county": {"tipo", "pais", "anio"},
    "/get_contents": {"rating"},
    "/get_recommendation": {"titulo", "platform", "type", "year", "max_age"},
    "/titles/{id}": {"id", "platform", "max_age"},
    "/search": {"q", "limit", "platform"},
    "/healthz": set(),
    "/readyz": set(),
}
POST_ROUTES = {"/recommendations"}


async def test_openapi_lists_every_route_with_an_example_for_every_parameter(gateway, dead_url):
    async with gateway(catalog=dead_url, recsys=dead_url) as client:
        spec = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert set(spec["paths"]) == set(PUBLIC_ROUTES) | POST_ROUTES
    body = spec["paths"]["/recommendations"]["post"]["requestBody"]["content"]["application/json"]
    # The schema FastAPI generates from contracts.api.TasteRequest, with the model's example.
    model = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert model["examples"][0]["liked"], "POST /recommendations documents no example body"
    assert {"200", "404", "413", "422", "503"} <= set(
        spec["paths"]["/recommendations"]["post"]["responses"])
    for path, names in PUBLIC_ROUTES.items():
        operation = spec["paths"][path]["get"]
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        assert set(parameters) == names, path
        for name, parameter in parameters.items():
            assert parameter["examples"], f"{path} {name} has no example"
            assert parameter["schema"]["examples"], f"{path} {name} has no schema example"
            assert parameter.get("description"), f"{path} {name} has no description"
        if names:
            for status in ("200", "404", "422", "503"):
                assert status in operation["responses"], f"{path} does not document {status}"


async def test_healthz_answers_without_asking_the_downstreams(gateway, dead_url):
    async with gateway(catalog=dead_url, recsys=dead_url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_the_app_refuses_to_start_without_the_service_urls():
    env = {k: v for k, v in os.environ.items()
           if k.upper() not in ("CATALOG_SERVICE_URL", "RECSYS_SERVICE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", "from gateway.main import create_app; create_app()"],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "catalog_service_url" in result.stderr.lower()
    assert "recsys_service_url" in result.stderr.lower()
