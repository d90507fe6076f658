"""The max_age filter: only titles for that audience or younger, on every neighbour route."""

from collections.abc import Callable

import httpx
import polars as pl
import pytest

from .conftest import TITLES, titles_frame

# Who each of the matrix's neighbours is for: inception teen, alien and heat adult, toy story
# kids.
BANDS = {"hs2": "teen", "hs1": "adult", "as2": "adult", "ds1": "kids", "ns1": "adult",
         "as1": "adult"}


def publish_with_bands(publish: Callable[..., str]) -> str:
    titles = titles_frame(TITLES)
    return publish(titles=titles.with_columns(
        age_band=pl.col("id").replace_strict(BANDS, default="unknown")))


def ids(body: dict, key: str = "neighbours") -> list[str]:
    return [n["id"] for n in body[key]]


@pytest.mark.parametrize(("max_age", "expected"), [
    ("kids", ["ds1"]), ("family", ["ds1"]), ("teen", ["hs2", "ds1"]),
    ("adult", ["hs2", "hs1", "as2", "ds1"]),
])
async def test_max_age_keeps_that_audience_and_younger(client: httpx.AsyncClient,
                                                       publish: Callable[..., str],
                                                       max_age: str, expected: list[str]):
    publish_with_bands(publish)
    by_id = await client.get("/v1/neighbours/ns1", params={"max_age": max_age})
    by_title = await client.get("/v1/neighbours", params={"title": "the matrix", "k": 10,
                                                          "max_age": max_age})
    taste = await client.post("/v1/taste", json={"liked": ["the matrix"], "max_age": max_age})
    assert ids(by_id.json()) == expected
    # By title, the matrix is its two records' lists merged (as1's adds the unrated ns4 and
    # ns3, which only `adult` lets through); the taste of it likewise.
    unrated = ["ns4", "ns3"] if max_age == "adult" else []
    assert [i for i in ids(by_title.json()) if i not in BANDS] == unrated
    assert [i for i in ids(by_title.json()) if i in BANDS] == expected
    assert sorted(ids(taste.json(), "items")) == sorted(
        i for i in [*expected, *unrated] if i not in ("ns1", "as1"))


async def test_a_list_published_without_bands_passes_only_adult(client: httpx.AsyncClient,
                                                                publish: Callable[..., str]):
    publish()
    teen = await client.get("/v1/neighbours/ns1", params={"max_age": "teen"})
    adult = await client.get("/v1/neighbours/ns1", params={"max_age": "adult"})
    assert ids(teen.json()) == []
    assert ids(adult.json()) == ["hs2", "hs1", "as2", "ds1"]


async def test_an_unknown_band_is_a_422_naming_max_age(client: httpx.AsyncClient,
                                                       publish: Callable[..., str]):
    publish_with_bands(publish)
    response = await client.get("/v1/neighbours/ns1", params={"max_age": "toddler"})
    assert response.status_code == 422
    assert "max_age" in response.json()["detail"]
