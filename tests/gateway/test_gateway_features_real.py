"""Platform filters, where to watch, TV shows and taste through the gateway on the real data:
real catalog and recsys processes, a real model trained and published to the tests' own Redis;
every expectation checked against the raw CSVs read by hand (testkit.raw_csv), never the
project's own code path."""

import random
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from testkit.raw_csv import RawTitle, read_ratings, read_titles

pytestmark = pytest.mark.slow
PLATFORMS = ("amazon", "disney", "hulu", "netflix")


@pytest.fixture(scope="module")
def rows(real_data_dir: Path) -> list[RawTitle]:
    return read_titles(real_data_dir)


def fold(title: str) -> str:
    """Letters and digits only, accents dropped: the test's own, looser sameness of titles
    ("pororo - the little penguin" on netflix is "pororo the little penguin" on hulu)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", title.casefold()) if ch.isalnum())


@pytest.fixture(scope="module")
def by_title(rows: list[RawTitle]) -> dict[str, list[RawTitle]]:
    """Raw rows by folded title."""
    found: dict[str, list[RawTitle]] = defaultdict(list)
    for row in rows:
        found[fold(row.title)].append(row)
    return found


@pytest.fixture(scope="module")
async def client(gateway, catalog_real, recsys_trained):
    async with gateway(catalog=catalog_real, recsys=recsys_trained) as client:
        yield client


def _platforms_of(by_title: dict[str, list[RawTitle]], title: str, kind: str,
                  year: int | None = None) -> set[str]:
    return {r.platform for r in by_title.get(fold(title), [])
            if r.type == kind and year in (None, r.year)}


async def test_filtered_recommendations_are_five_distinct_titles_on_the_platforms(
        client, by_title) -> None:
    chance = random.Random(13)
    # Titles written one way only (a title two films or a movie and a show share is tested
    # apart), movies and shows alike.
    titles = sorted(found[0].title for found in by_title.values()
                    if len({(r.type, r.year) for r in found}) == 1
                    and any(c.isalpha() for c in found[0].title))
    short = []
    for title in chance.sample(titles, 200):
        allowed = chance.sample(PLATFORMS, chance.randint(1, 3))
        kind = by_title[fold(title)][0].type
        response = await client.get("/get_recommendation",
                                    params={"titulo": title, "platform": allowed})
        assert response.status_code == 200, (title, response.text)
        answer = response.json()
        assert len(answer) == len(set(answer)), title
        for other in answer:
            # Somewhere in the raw files that title is of the query's type on an allowed platform.
            assert _platforms_of(by_title, other, kind) & set(allowed), (title, allowed, other)
        if len(answer) < 5:
            short.append((title, allowed, len(answer)))
    # Five whenever the catalog allows; at most a rare query (a lone show on a small platform)
    # runs short.
    assert len(short) <= 2, short


async def test_a_tv_show_gets_tv_shows_and_a_movie_gets_movies(client, by_title) -> None:
    for title, kind in (("stranger things", "tv show"), ("the office (u.s.)", "tv show"),
                        ("toy story", "movie"), ("the irishman", "movie")):
        assert {r.type for r in by_title[fold(title)]} == {kind}
        answer = (await client.get("/get_recommendation", params={"titulo": title})).json()
        assert len(answer) == 5
        assert all(_platforms_of(by_title, other, kind) for other in answer), (title, answer)


async def test_a_title_two_films_share_answers_one_and_the_year_picks_the_other(
        client, by_title) -> None:
    years = sorted({r.year for r in by_title[fold("les misérables")] if r.type == "movie"})
    assert years == [2012, 2020]
    bare = (await client.get("/get_recommendation", params={"titulo": "les miserables"})).json()
    picks = {year: (await client.get("/get_recommendation", params={
        "titulo": "les miserables", "year": year})).json() for year in years}
    assert picks[2012] != picks[2020]
    assert bare in (picks[2012], picks[2020])


async def test_a_title_two_films_share_names_the_film_taken_on_every_route(
        client, by_title, real_data_dir: Path) -> None:
    # By hand: the films titled "les misérables" (title, year), their records, their ratings
    # in the raw files; the one people mean most often has the most ratings, then is newest.
    ratings = Counter(movie for _, movie, _ in read_ratings(real_data_dir))
    films: dict[int, list[str]] = defaultdict(list)
    for row in by_title[fold("les misérables")]:
        if row.type == "movie":
            films[row.year].append(row.id)
    assert sorted(films) == [2012, 2020]
    meant = max(films, key=lambda year: (sum(ratings[i] for i in films[year]), year))
    other = next(year for year in films if year != meant)

    bare = await client.get("/get_recommendation", params={"titulo": "les miserables"})
    picked = await client.get("/get_recommendation", params={"titulo": "les miserables",
                                                             "year": other})
    assert bare.status_code == picked.status_code == 200
    assert bare.headers["x-title-id"] == min(films[meant])
    assert picked.headers["x-title-id"] == min(films[other])

    taste = await client.post("/recommendations", json={"liked": [
        "les misérables", {"id": "ns2121"}, {"title": "Les Miserables", "year": 2020}]})
    assert taste.status_code == 200, taste.text
    assert films[2012] == ["ns2121"]
    # Each film once, in the order asked: the bare title's film, then the two named exactly.
    assert [(f["id"], f["year"]) for f in taste.json()["liked"]] == list(dict.fromkeys([
        (min(films[meant]), meant), ("ns2121", 2012), (min(films[2020]), 2020)]))


async def test_title_pages_say_where_to_watch_each_recommendation(client, rows,
                                                                  by_title) -> None:
    chance = random.Random(7)
    for row in chance.sample(rows, 40):
        platform = chance.choice(PLATFORMS)
        body = (await client.get(f"/titles/{row.id}", params={"platform": platform})).json()
        record = body["title"]
        # The platforms listing this film include every raw record of the same title, year, type.
        assert _platforms_of(by_title, row.title, row.type, row.year) == set(
            record["available_on"]), row.id
        items = body["recommendations"]["items"]
        assert len({(i["title"], i["release_year"], i["type"]) for i in items}) == len(items)
        for item in items:
            assert platform in item["available_on"], (row.id, item)
            assert item["type"] == row.type
            assert item["available_on"] == sorted(_platforms_of(
                by_title, item["title"], row.type, item["release_year"])), item


async def test_the_taste_of_several_titles(client, by_title) -> None:
    liked = ["toy story", "the matrix", "finding nemo", "the matrx zz"]
    response = await client.post("/recommendations",
                                  json={"liked": liked, "platform": ["netflix"], "n": 10})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [entry["query"] for entry in body["liked"]] == liked[:3]
    assert body["unknown"][0]["query"] == "the matrx zz"
    assert "the matrix" in body["unknown"][0]["suggestions"]
    items = body["items"]
    assert len(items) == 10
    assert not {fold(item["title"]) for item in items} & {fold(title) for title in liked}
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    for item in items:
        assert "netflix" in item["available_on"]
        assert "netflix" in _platforms_of(by_title, item["title"], item["type"]), item
        assert item["because"]
        # The liked titles as the platforms spell them ("Toy Story" for "toy story").
        assert {fold(title) for title in item["because"]} <= {fold(title) for title in liked}
        assert item["reason"].startswith("Because you liked ")


async def test_search_finds_films_as_you_type(client, by_title) -> None:
    body = (await client.get("/search", params={"q": "toy sto", "limit": 5})).json()
    assert body["results"][0]["title"] == "toy story"
    films = {(hit["title"], hit["release_year"], hit["type"]) for hit in body["results"]}
    assert len(films) == len(body["results"])  # one hit per film
    for hit in body["results"]:
        assert hit["available_on"] == sorted(_platforms_of(
            by_title, hit["title"], hit["type"], hit["release_year"])), hit
    both = (await client.get("/search", params={"q": "les miserables"})).json()["results"]
    assert {2012, 2020} <= {hit["release_year"] for hit in both
                            if hit["title"] in ("les misérables", "les miserables")}
    nothing = await client.get("/search", params={"q": "qqqqzzzzxxxx"})
    assert (nothing.status_code, nothing.json()["results"]) == (200, [])


async def test_a_film_of_a_series_lists_the_next_and_its_page_shows_the_series(
        client, by_title) -> None:
    # From the raw files: the numbered toy story films, and the one record of toy story 3.
    numbered = {fold(f"toy story {n}".strip()): n for n in ("", "2", "3", "4")}
    films = sorted({(r.year, r.title.casefold()) for key in numbered for r in by_title[key]
                    if r.type == "movie"})
    assert [title for _, title in films] == ["toy story", "toy story 2", "toy story 3",
                                             "toy story 4"]
    answer = (await client.get("/get_recommendation", params={"titulo": "toy story 3"})).json()
    assert "toy story 4" in [title.casefold() for title in answer]
    (third,) = [r for r in by_title[fold("toy story 3")] if r.type == "movie"]
    series = (await client.get(f"/titles/{third.id}")).json()["title"]["series"]
    titles = [entry["title"].casefold() for entry in series]
    # The whole series in release order (shorts between the numbered films), each where the raw
    # files list it.
    assert [t for t in titles if fold(t) in numbered] == [title for _, title in films]
    years = [entry["release_year"] for entry in series]
    assert years == sorted(years)
    for entry in series:
        assert entry["available_on"] == sorted(_platforms_of(
            by_title, entry["title"], "movie", entry["release_year"])), entry
    # A false friend stays out: frozen's series is not frozen planet's.
    (frozen,) = [r for r in by_title[fold("frozen")] if r.type == "movie" and r.year == 2013]
    frozen_series = (await client.get(f"/titles/{frozen.id}")).json()["title"]["series"]
    assert "frozen 2" in [entry["title"].casefold() for entry in frozen_series]
    assert not [e for e in frozen_series if "planet" in e["title"].casefold()]


# The adult ratings as the four files spell them (lowercased): R, NC-17, TV-MA, 18+, AGES_18_.
ADULT_RATINGS = {"r", "nc-17", "tv-ma", "18+", "ages_18_"}


def _adult(by_title: dict[str, list[RawTitle]], title: str, kind: str,
           year: int | None = None) -> bool:
    """Whether the raw files rate that film adult. Two films may share a title (penelope: a
    PG film of 2006, an 18+ one of 2018): with its year, that film; without, only a title
    whose every film is adult-rated counts (a bare title cannot say which was meant)."""
    films = [r for r in by_title.get(fold(title), [])
             if r.type == kind and year in (None, r.year)]
    return bool(films) and all(r.rating in ADULT_RATINGS for r in films)


@pytest.mark.parametrize("title", ["frozen", "toy story"])
@pytest.mark.parametrize("platform", [None, "netflix"])
async def test_a_kids_film_gets_no_adult_rated_title_on_any_route(client, by_title, title: str,
                                                                  platform: str | None) -> None:
    records = [r for r in by_title[fold(title)] if r.type == "movie"]
    assert records
    assert not any(r.rating in ADULT_RATINGS for r in records)
    params = {"titulo": title} | ({"platform": platform} if platform else {})
    answer = (await client.get("/get_recommendation", params=params)).json()
    page = (await client.get(f"/titles/{records[0].id}",
                             params={"platform": platform} if platform else {})).json()
    taste = (await client.post("/recommendations", json={
        "liked": [title], **({"platform": [platform]} if platform else {})})).json()
    shown = {"get_recommendation": [(t, None) for t in answer],
             "title page": [(i["title"], i["release_year"])
                            for i in page["recommendations"]["items"]],
             "taste": [(i["title"], i.get("release_year")) for i in taste["items"]]}
    for route, films in shown.items():
        assert len(films) >= 5, (route, films)
        assert not [(name, year) for name, year in films
                    if _adult(by_title, name, "movie", year)], (route, films)


# The kids' band as the four files spell it (lowercased); an unrated title reads "g" here.
KIDS_RATINGS = {"g", "tv-y", "tv-y7", "tv-y7-fv", "tv-g", "all", "all_ages"}


async def test_max_age_kids_answers_only_kids_titles(client, by_title) -> None:
    answer = (await client.get("/get_recommendation", params={
        "titulo": "the matrix", "max_age": "kids"})).json()
    assert answer
    assert not [t for t in answer if not {r.rating for r in by_title[fold(t)]
                                          if r.type == "movie"} & KIDS_RATINGS], answer
    matrix = next(r for r in by_title[fold("the matrix")] if r.type == "movie")
    page = (await client.get(f"/titles/{matrix.id}", params={"max_age": "kids"})).json()
    items = page["recommendations"]["items"]
    assert items
    for item in items:
        films = [r for r in by_title[fold(item["title"])]
                 if r.type == "movie" and r.year == item["release_year"]]
        assert {r.rating for r in films} <= KIDS_RATINGS, item
