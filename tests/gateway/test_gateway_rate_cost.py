"""The rate limit counts what a request costs: long POST lists and unknown titles' suggestion
searches spend more of it, and a request searches suggestions for three unknown titles at most."""

from typing import Any

TASTE_MISS: dict[str, Any] = {"liked": [], "model_version": "v1", "items": []}
NO_TITLE = (404, {"code": "not_found", "detail": "No catalog title is titled that."})
HITS = {"results": [{"id": "ns1", "title": "the long night", "type": "movie",
                     "release_year": 2020, "available_on": ["netflix"], "similarity": 0.6}]}


def liked(count: int, first: int = 0) -> dict[str, Any]:
    return {"liked": [f"film {n}" for n in range(first, first + count)]}


async def test_a_list_of_five_titles_spends_five_requests_of_the_limit(gateway, scripted):
    recsys, catalog = scripted(), scripted()
    recsys.answer("/v1/taste", 200, {**TASTE_MISS, "unknown": []})
    catalog.answer("/v1/count-platform", 200, {"count": 7})
    async with gateway(catalog=catalog.url, recsys=recsys.url, rate_limit="10/minute") as client:
        lists = [await client.post("/recommendations", json=liked(5, first)) for first in (0, 5)]
        after = await client.get("/get_count_platform?platform=netflix")

    assert [answer.status_code for answer in lists] == [200, 200]
    # Ten of ten spent by two lists of five (counted as one request each, 8 would be left).
    assert after.status_code == 429
    assert 1 <= int(after.headers["retry-after"]) <= 60
    assert after.json()["code"] == "rate_limited"


async def test_a_list_dearer_than_what_is_left_is_refused_before_any_downstream_call(
        gateway, scripted):
    recsys = scripted()
    recsys.answer("/v1/taste", 200, {**TASTE_MISS, "unknown": []})
    async with gateway(catalog=recsys.url, recsys=recsys.url, rate_limit="10/minute") as client:
        first = await client.post("/recommendations", json=liked(8))
        refused = await client.post("/recommendations", json=liked(8, first=8))

    assert first.status_code == 200
    assert refused.status_code == 429
    assert "(7 for this one)" in refused.json()["detail"]
    assert recsys.requests == ["/v1/taste"]  # the refused list never reached recsys


async def test_only_the_first_three_unknown_titles_get_suggestions(gateway, scripted):
    recsys, catalog = scripted(), scripted()
    unknown = [f"film {n}" for n in range(5)]
    recsys.answer("/v1/taste", 200, {**TASTE_MISS, "unknown": unknown})
    catalog.answer("/v1/titles/search", 200, HITS)
    async with gateway(catalog=catalog.url, recsys=recsys.url) as client:
        answer = await client.post("/recommendations", json=liked(5))

    assert answer.status_code == 200, answer.text
    suggested = [item["suggestions"] for item in answer.json()["unknown"]]
    assert suggested == [["the long night"]] * 3 + [[], []]
    assert len(catalog.requests) == 3  # one fuzzy search per suggested title, no more


async def test_an_unknown_titles_suggestions_cost_a_search_more(gateway, scripted):
    recsys, catalog = scripted(), scripted()
    recsys.answer("/v1/neighbours", *NO_TITLE)
    catalog.answer("/v1/titles/search", 200, HITS)
    async with gateway(catalog=catalog.url, recsys=recsys.url, rate_limit="8/minute",
                       rate_limit_search_cost=3) as client:
        misses = [await client.get("/get_recommendation", params={"titulo": f"film {n}"})
                  for n in range(3)]

    # 1 + 3 each: two misses spend all 8, the third is refused.
    assert [miss.status_code for miss in misses] == [404, 404, 429]
    assert misses[0].json()["suggestions"] == ["the long night"]
    assert len(catalog.requests) == 2

