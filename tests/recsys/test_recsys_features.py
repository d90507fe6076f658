"""Subscription features in recsys on a hand-written model, every expected answer worked out
by hand: platform filters, one film listed once with its platforms, films sharing a title, the
taste of several liked titles."""

from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
from etl_job.films import film_table
from redis.asyncio.connection import AbstractConnection

# id -> (title, type, year, ratings); the platform is the id's first letter.
CATALOG: dict[str, tuple[str, str, int, int]] = {
    "ns1": ("the long night", "movie", 2001, 10),
    "as2": ("red river", "movie", 1990, 0),
    "hs3": ("blue sky", "movie", 2005, 0),
    "ns3": ("Blue Sky!", "movie", 2005, 0),  # the same film as hs3: same title and year
    "ds4": ("green hill", "movie", 2010, 0),
    "as5": ("yellow sea", "movie", 2011, 0),
    "ns6": ("black cat", "movie", 2012, 0),
    "hs7": ("white dog", "movie", 2013, 0),
    "as8": ("grey owl", "movie", 2014, 0),
    "ns9": ("pink fox", "movie", 2015, 0),
    "ns10": ("gold bee", "movie", 2016, 0),
    # One title, three films: the 2012 film (most rated), a 2020 film, a show.
    "ns20": ("les misérables", "movie", 2012, 50),
    "as20": ("les miserables", "movie", 2020, 5),
    "ns21": ("les miserables", "tv show", 2019, 90),
    "hs30": ("white tide", "tv show", 2018, 0),
}
PLATFORMS = {"a": "amazon", "d": "disney", "h": "hulu", "n": "netflix"}
NEIGHBOURS: dict[str, list[tuple[str, float, str]]] = {
    "ns1": [("as2", 0.9, "r"), ("hs3", 0.8, "r"), ("ns3", 0.75, "r"), ("ds4", 0.7, "r"),
            ("as5", 0.6, "r"), ("ns6", 0.5, "r"), ("hs7", 0.4, "r"), ("as8", 0.3, "r"),
            ("ns9", 0.2, "r"), ("ns10", 0.1, "r")],
    "as2": [("hs3", 0.5, "r"), ("ns6", 0.4, "r"), ("ns1", 0.3, "r"), ("ds4", 0.1, "r")],
    "ns20": [("ns6", 0.9, "r")],
    "as20": [("as5", 0.9, "r")],
    "ns21": [("hs30", 0.9, "r")],
}


@pytest.fixture
def publish_features(publish: Callable[..., str], frames: Callable[..., Any]) -> Callable[[], str]:
    catalog = pl.DataFrame({
        "id": list(CATALOG), "title": [v[0] for v in CATALOG.values()],
        "type": [v[1] for v in CATALOG.values()],
        "release_year": [v[2] for v in CATALOG.values()],
        "platform": [PLATFORMS[i[0]] for i in CATALOG],
        "rating_count": [v[3] for v in CATALOG.values()]},
        schema_overrides={"release_year": pl.Int32, "rating_count": pl.Int32})
    _, neighbours = frames({"ns1": "the long night"}, NEIGHBOURS)
    return lambda: publish(titles=film_table(catalog), neighbours=neighbours)


async def _titles(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/neighbours", params=params)
    assert response.status_code == 200, response.text
    return [n["title"] for n in response.json()["neighbours"]]


async def test_a_film_on_two_platforms_is_listed_once_with_both(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()
    body = (await client.get("/v1/neighbours", params={"title": "the long night", "k": 5})).json()

    assert [(n["id"], n["score"], n["available_on"]) for n in body["neighbours"]] == [
        ("as2", 0.9, ["amazon"]), ("hs3", 0.8, ["hulu", "netflix"]), ("ds4", 0.7, ["disney"]),
        ("as5", 0.6, ["amazon"]), ("ns6", 0.5, ["netflix"])]


@pytest.mark.parametrize(("platform", "expected"), [
    # netflix or hulu: blue sky (.8), black cat (.5), white dog (.4), pink fox (.2), gold bee (.1)
    (["netflix", "hulu"], ["blue sky", "black cat", "white dog", "pink fox", "gold bee"]),
    ("netflix,hulu", ["blue sky", "black cat", "white dog", "pink fox", "gold bee"]),
    (["disney"], ["green hill"]),
    (["amazon", "disney"], ["red river", "green hill", "yellow sea", "grey owl"]),
])
async def test_a_platform_filter_keeps_the_best_on_those_platforms(
        client: httpx.AsyncClient, publish_features: Callable[[], str], platform: Any,
        expected: list[str]) -> None:
    publish_features()
    assert await _titles(client, title="the long night", k=5, platform=platform) == expected
    by_id = (await client.get("/v1/neighbours/ns1", params={"k": 5, "platform": platform}))
    assert [n["title"] for n in by_id.json()["neighbours"]] == expected


async def test_a_bare_title_means_the_most_rated_movie_and_year_or_type_pick_the_others(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()
    bare = (await client.get("/v1/neighbours", params={"title": "Les Misérables"})).json()

    assert (bare["film"], [n["title"] for n in bare["neighbours"]]) == (
        {"ids": ["ns20"], "type": "movie", "release_year": 2012}, ["black cat"])
    assert [(f["type"], f["release_year"]) for f in bare["others"]] == [
        ("movie", 2020), ("tv show", 2019)]
    assert await _titles(client, title="les miserables", year=2020) == ["yellow sea"]
    assert await _titles(client, title="les miserables", type="tv show") == ["white tide"]
    assert await _titles(client, title="les miserables", type="series") == ["white tide"]
    missing = await client.get("/v1/neighbours", params={"title": "les miserables",
                                                         "year": 1999})
    assert missing.status_code == 404
    assert missing.json()["parameter"] == "year"
    assert "movie 2012" in missing.json()["detail"]


async def test_the_taste_of_two_titles_sums_their_scores(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()
    response = await client.post("/v1/taste", json={
        "liked": ["The Long Night", "red river", "the matrx"], "n": 4})

    assert response.status_code == 200
    body = response.json()
    assert body["liked"] == [
        {"query": "The Long Night", "id": "ns1", "title": "the long night", "year": 2001},
        {"query": "red river", "id": "as2", "title": "red river", "year": 1990}]
    assert body["unknown"] == ["the matrx"]
    # blue sky .8 + .5, black cat .5 + .4, green hill .7 + .1, yellow sea .6; neither liked
    # title comes back (red river is in the long night's list, the long night in red river's).
    assert [(i["title"], i["score"], i["because"]) for i in body["items"]] == [
        ("blue sky", 1.3, ["the long night", "red river"]),
        ("black cat", 0.9, ["the long night", "red river"]),
        ("green hill", 0.8, ["the long night", "red river"]),
        ("yellow sea", 0.6, ["the long night"]),
    ]
    assert body["items"][0]["reason"] == "Because you liked the long night and red river."
    assert body["items"][0]["available_on"] == ["hulu", "netflix"]
    assert body["items"][3]["reason"] == "Because you liked the long night."


async def test_a_liked_film_is_a_title_an_id_or_a_title_and_year(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()

    async def taste(*liked: Any) -> dict[str, Any]:
        response = await client.post("/v1/taste", json={"liked": list(liked)})
        assert response.status_code == 200, response.text
        return response.json()

    # A bare title: the most rated movie of the three sharing it (2012, 50 ratings).
    bare = await taste("les miserables")
    assert bare["liked"] == [{"query": "les miserables", "id": "ns20",
                              "title": "les misérables", "year": 2012}]
    assert [i["title"] for i in bare["items"]] == ["black cat"]
    # Its year, or its id, takes the other film; an id of a film on two platforms keeps it.
    by_year = await taste({"title": "Les Misérables", "year": 2020})
    by_id = await taste({"id": "AS20"})
    assert by_year["liked"] == [{"query": "Les Misérables (2020)", "id": "as20",
                                 "title": "les miserables", "year": 2020}]
    assert by_id["liked"] == [{"query": "as20", "id": "as20", "title": "les miserables",
                               "year": 2020}]
    assert [i["title"] for i in by_year["items"]] == [i["title"] for i in by_id["items"]] == [
        "yellow sea"]
    assert (await taste({"id": "ns3"}))["liked"][0] == {
        "query": "ns3", "id": "ns3", "title": "Blue Sky!", "year": 2005}
    # Ids and titles mixed; one naming no film is unknown, the same film twice counts once.
    mixed = await taste({"id": "ns1"}, "the long night", {"id": "ns999"},
                        {"title": "red river", "year": 1991})
    assert [read["id"] for read in mixed["liked"]] == ["ns1"]
    assert mixed["unknown"] == ["ns999", "red river (1991)"]


@pytest.mark.parametrize("liked", [
    {"id": "ns1", "title": "the long night"}, {"year": 2012}, {"id": "xs1"},
    {"id": "ns1", "year": 2001}, {"title": "les miserables", "platform": "netflix"}])
async def test_a_liked_film_that_names_no_one_film_is_a_422(
        client: httpx.AsyncClient, publish_features: Callable[[], str],
        liked: dict[str, Any]) -> None:
    publish_features()
    response = await client.post("/v1/taste", json={"liked": [liked]})

    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == "liked"


async def test_the_taste_keeps_the_platforms_asked_for(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()
    body = (await client.post("/v1/taste", json={
        "liked": ["the long night", "red river"], "platform": ["disney"]})).json()

    assert [(i["title"], i["score"]) for i in body["items"]] == [("green hill", 0.8)]


async def test_a_taste_of_unknown_titles_only_is_a_404(
        client: httpx.AsyncClient, publish_features: Callable[[], str]) -> None:
    publish_features()
    response = await client.post("/v1/taste", json={"liked": ["nothing like it", "nor this"]})

    assert response.status_code == 404
    assert response.json()["parameter"] == "liked"
    assert "'nothing like it'" in response.json()["detail"]


async def test_the_taste_reads_redis_in_one_round_trip_for_any_number_of_titles(
        client: httpx.AsyncClient, publish_features: Callable[[], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    publish_features()
    # A first request opens the pooled connection, loads the script and learns the version.
    assert (await client.post("/v1/taste", json={"liked": ["gold bee"]})).status_code == 200
    sent: list[bytes] = []
    real = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, command: Any, check_health: bool = True
                       ) -> None:
        sent.append(b"".join(command) if isinstance(command, list) else bytes(command))
        await real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    counted = []
    for liked in (["the long night"], ["the long night", "red river", "les miserables",
                                       "white tide", "gold bee"]):
        sent.clear()
        assert (await client.post("/v1/taste", json={"liked": liked})).status_code == 200
        counted.append(len(sent))
        # The one send: the version pointer and the script over that version's keys.
        assert b"EVALSHA" in sent[0]
        assert b"GET" in sent[0]
    assert counted == [1, 1]


# A hand-made B over the movies without a list of their own: its rows cut to the 3 largest
# positive weights are what the ETL stores as taste rows.
TASTE_MOVIES = ["ns1", "as2", "hs3", "ds4", "as5", "ns6", "hs7", "as8", "ns9", "ns10"]
TASTE_B = np.array([[(7 * i + 3 * j) % 11 - 3.0 if i != j else 0.0
                     for j in range(len(TASTE_MOVIES))] for i in range(len(TASTE_MOVIES))])
TASTE_K = 3


def _taste_frame() -> pl.DataFrame:
    rows = []
    for i, movie in enumerate(TASTE_MOVIES):
        weights = TASTE_B[i].copy()
        if movie == "hs3":  # hs3 and ns3 are one film: its own other record is never kept
            continue
        for rank, j in enumerate(np.argsort(-weights, kind="stable")[:TASTE_K], start=1):
            if weights[j] > 0:
                rows.append((movie, rank, TASTE_MOVIES[j], float(weights[j]), "t"))
    return pl.DataFrame(rows, schema={"movie_id": pl.String, "rank": pl.Int32,
                                      "neighbour_id": pl.String, "score": pl.Float64,
                                      "reason": pl.String}, orient="row")


async def test_a_taste_is_the_sum_of_the_liked_films_rows_of_b(
        client: httpx.AsyncClient, publish: Callable[..., str], frames: Callable[..., Any],
        publish_features: Callable[[], str]) -> None:
    publish_features()  # the catalog; then the same with taste rows
    catalog_titles = pl.DataFrame({"id": list(CATALOG), "title": [v[0] for v in CATALOG.values()],
                                   "type": [v[1] for v in CATALOG.values()],
                                   "release_year": [v[2] for v in CATALOG.values()],
                                   "platform": [PLATFORMS[i[0]] for i in CATALOG],
                                   "rating_count": [v[3] for v in CATALOG.values()]},
                                  schema_overrides={"release_year": pl.Int32,
                                                    "rating_count": pl.Int32})
    _, neighbours = frames({"ns1": "the long night"}, NEIGHBOURS)
    publish(titles=film_table(catalog_titles), neighbours=neighbours, taste=_taste_frame())
    liked = ["the long night", "grey owl", "pink fox"]
    body = (await client.post("/v1/taste", json={"liked": liked, "n": 5})).json()

    # Direct numpy: each liked row of B cut to its 3 largest positive weights, summed.
    sparse = np.zeros_like(TASTE_B)
    for i in range(len(TASTE_MOVIES)):
        top = np.argsort(-TASTE_B[i], kind="stable")[:TASTE_K]
        sparse[i, top] = np.clip(TASTE_B[i, top], 0, None)
    rows = [TASTE_MOVIES.index(m) for m in ("ns1", "as8", "ns9")]
    scores = sparse[rows].sum(axis=0)
    scores[rows] = 0.0
    expected = [(CATALOG[TASTE_MOVIES[j]][0], round(float(scores[j]), 4))
                for j in np.argsort(-scores, kind="stable") if scores[j] > 0][:5]
    assert [(i["title"], i["score"]) for i in body["items"]] == expected
    # Each item says which liked films weigh most, with their shares of its score.
    for item in body["items"]:
        j = next(TASTE_MOVIES.index(m) for m in TASTE_MOVIES if CATALOG[m][0] == item["title"])
        parts = sorted(((sparse[r, j], CATALOG[TASTE_MOVIES[r]][0]) for r in rows
                        if sparse[r, j] > 0), key=lambda p: -p[0])
        assert item["because"] == [title for _, title in parts]
        assert item["weights"] == pytest.approx([w / scores[j] for w, _ in parts], abs=1e-4)
