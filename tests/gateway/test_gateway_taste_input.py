"""POST /recommendations refuses bad bodies with a clear 4xx in the one error shape, before
asking any downstream (both are dead here), and reads at most 16 KB of a body."""

import json

import httpx
import pytest


@pytest.fixture
async def client(gateway, dead_url):
    async with gateway(catalog=dead_url, recsys=dead_url) as client:
        yield client


@pytest.mark.parametrize(("body", "status", "parameter", "words"), [
    # Refused by the request guard, which reads no more than MAX_BODY_BYTES of a body.
    (json.dumps({"liked": ["x"] * 10_000}), 413, None, "16384 bytes"),
    (json.dumps({"liked": [f"t{i}" for i in range(21)]}), 422, "liked",
     "has 21 items, but it accepts at most 20"),
    (json.dumps({"liked": []}), 422, "liked", "has 0 items, but it accepts at least 1"),
    # A title with no letter or digit says so, empty or white space alike.
    (json.dumps({"liked": ["toy story", ""]}), 422, "liked", "letter or digit"),
    (json.dumps({"liked": ["toy story", "   "]}), 422, "liked", "letter or digit"),
    (json.dumps({"liked": ["toy story", "?!"]}), 422, "liked", "letter or digit"),
    (json.dumps({"liked": ["toy story"], "n": 0}), 422, "n", "greater than or equal to 1"),
    (json.dumps({"liked": ["toy story"], "n": 51}), 422, "n", "less than or equal to 50"),
    (json.dumps({"liked": ["toy story"], "platform": ["hbo"]}), 422, "platform", "netflix"),
    (json.dumps({"liked": "toy story"}), 422, "liked", "valid list"),
    (json.dumps({"n": 3}), 422, "liked", "required"),
    ("toy story, the matrix", 422, "body", "JSON object"),
    ("[1, 2]", 422, "body", "JSON object"),
    ("", 422, "body", "JSON object"),
])
async def test_a_bad_body_is_a_clear_4xx(client: httpx.AsyncClient, body: str, status: int,
                                         parameter: str | None, words: str) -> None:
    response = await client.post("/recommendations", content=body,
                                 headers={"content-type": "application/json"})

    assert response.status_code == status, response.text
    error = response.json()
    assert error.get("parameter") == parameter
    assert words in error["detail"]
    assert len(response.content) < 1000  # the bad input is never echoed whole


async def test_a_10_mb_body_is_refused_unread(client: httpx.AsyncClient) -> None:
    async def ten_megabytes():
        for _ in range(160):
            yield b"[" + b"1," * 32_767 + b"1]"

    response = await client.post("/recommendations", content=ten_megabytes(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
async def test_a_body_that_is_not_json_is_a_415_in_the_error_shape(
        client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post("/recommendations", content='{"liked": ["toy story"]}',
                                 headers={"content-type": content_type})

    assert response.status_code == 415, response.text
    error = response.json()
    assert error["code"] == "unsupported_media_type"
    assert error["parameter"] == "content-type"
    assert error["accepted"] == ["application/json"]
    assert content_type.partition(";")[0] in error["detail"]


async def test_a_good_body_reaches_recsys(client: httpx.AsyncClient) -> None:
    response = await client.post("/recommendations", json={"liked": ["toy story"]})
    # Valid, so the gateway asks recsys, which is dead here.
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
