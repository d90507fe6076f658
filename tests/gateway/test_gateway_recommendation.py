"""get_recommendation: five titles best first; an unknown title is a 404 with catalog suggestions.

The recsys side is a scripted stand-in here (its answers are the contract's shape); the catalog
side, which supplies the suggestions, is the real catalog service on the sample.
"""

import httpx


def neighbour(rank: int, title: str) -> dict:
    return {"id": f"ns{100 + rank}", "title": title, "score": 1 - rank / 10,
            "reason": "liked by the same viewers"}


async def test_five_titles_best_first(gateway, scripted, dead_url):
    recsys = scripted()
    titles = ["heat", "ronin", "collateral", "thief", "the insider", "miami vice"]
    recsys.answer("/v1/neighbours", 200, {
        "query": "the irishman", "matched_ids": ["ns1"], "model_version": "v1",
        "neighbours": [neighbour(rank, title) for rank, title in enumerate(titles)]})
    async with gateway(catalog=dead_url, recsys=recsys.url) as client:
        response = await client.get("/get_recommendation", params={"titulo": " The Irishman "})
    assert response.status_code == 200
    assert response.json() == titles[:5]
    assert response.headers["x-title-id"] == "ns1"  # the film the title was taken to mean
    # Ten asked: two films sharing a title would leave fewer than five distinct titles.
    assert recsys.requests == ["/v1/neighbours?title=the+irishman&k=10"]


async def test_a_film_listed_twice_is_named_once(gateway, scripted, dead_url):
    recsys = scripted()
    titles = ["heat", "heat", "ronin", "collateral", "thief", "the insider"]
    recsys.answer("/v1/neighbours", 200, {
        "query": "jaws", "matched_ids": ["ns1"], "model_version": "v1",
        "neighbours": [neighbour(rank, title) for rank, title in enumerate(titles)]})
    async with gateway(catalog=dead_url, recsys=recsys.url) as client:
        response = await client.get("/get_recommendation", params={"titulo": "jaws"})
    assert response.json() == ["heat", "ronin", "collateral", "thief", "the insider"]


async def test_unknown_title_is_a_404_with_the_catalogs_suggestions(gateway, scripted,
                                                                   catalog_sample):
    recsys = scripted()
    recsys.answer("/v1/neighbours", 404,
                  {"code": "not_found", "detail": "No movie titled 'the long nigth'.",
                   "parameter": "title"})
    async with gateway(catalog=catalog_sample, recsys=recsys.url) as client:
        response = await client.get("/get_recommendation", params={"titulo": "The Long Nigth"})
    async with httpx.AsyncClient(base_url=catalog_sample) as catalog:
        search = (await catalog.get("/v1/titles/search",
                                    params={"q": "the long nigth", "limit": 10})).json()
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert body["detail"] == "No movie titled 'the long nigth'."
    assert body["parameter"] == "titulo"
    assert body["suggestions"][0] == "the long night"
    assert "another long night" in body["suggestions"]
    # Movies and shows alike: a show's title gets recommendations too.
    titles = [hit["title"] for hit in search["results"]]
    assert body["suggestions"] == list(dict.fromkeys(titles))[:5]


async def test_unknown_title_without_a_working_search_is_a_plain_404(gateway, scripted,
                                                                     dead_url, hanging_url):
    recsys = scripted()
    recsys.answer("/v1/neighbours", 404, {"code": "not_found", "detail": "No movie titled 'x'."})
    for catalog in (dead_url, hanging_url):
        async with gateway(catalog=catalog, recsys=recsys.url, wait=0.5) as client:
            response = await client.get("/get_recommendation", params={"titulo": "x"})
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No movie titled 'x'.",
                                   "parameter": "titulo"}


async def test_unknown_title_with_nothing_close_has_empty_suggestions(gateway, scripted,
                                                                      catalog_sample):
    recsys = scripted()
    recsys.answer("/v1/neighbours", 404, {"code": "not_found", "detail": "No movie titled 'q'."})
    async with gateway(catalog=catalog_sample, recsys=recsys.url) as client:
        response = await client.get("/get_recommendation",
                                    params={"titulo": "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"})
    assert response.status_code == 404
    assert response.json()["suggestions"] == []
