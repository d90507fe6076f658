"""The random paths the serving bench walks: the whole domain, title keys never repeated."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.serving import (
    CACHED_MIX,
    INTERNAL,
    LIKED_PER_TASTE,
    MIX,
    RANDOM_ROUTES,
    TASTE,
    Walk,
    random_walks,
)
from catalog_service.index import load_index


def test_title_keyed_routes_never_repeat_and_the_others_span_the_domain(sample_catalog_dir: Path):
    index = load_index(sample_catalog_dir)
    walks = random_walks(index, count=500)
    assert set(walks) == {*RANDOM_ROUTES, MIX, CACHED_MIX, TASTE, *INTERNAL}
    paths = {route: walks[route].paths for route in RANDOM_ROUTES}
    for route in ("get_recommendation", "titles/{id}"):
        assert len(paths[route]) == len(set(paths[route]))
    assert {p.removeprefix("/titles/") for p in paths["titles/{id}"]} == set(index.records)
    titles = {parse_qs(urlsplit(p).query)["titulo"][0] for p in paths["get_recommendation"]}
    assert titles == {entry.title for entry in index.search_entries}
    scores = [parse_qs(urlsplit(p).query) for p in paths["get_score_count"]]
    assert len(scores) == 500
    assert len({(q["platform"][0], q["scored"][0], q["year"][0]) for q in scores}) > 300
    assert {q["platform"][0] for q in scores} == {"amazon", "disney", "hulu", "netflix"}
    assert random_walks(index, count=500) == walks  # seeded: the same run every time
    assert walks[MIX].paths[: len(RANDOM_ROUTES)] == [paths[r][0] for r in RANDOM_ROUTES]
    cached = walks[CACHED_MIX].paths  # a few paths a route, repeated so the caches answer
    each = min(48, *(len(p) for p in paths.values()))  # the sample has fewer than 48 titles
    assert len(cached) == len(RANDOM_ROUTES) * each
    assert set(cached) == {p for route in RANDOM_ROUTES for p in paths[route][:each]}
    assert all(p.startswith("/v1/") for name in INTERNAL for p in walks[name].paths)


def test_the_taste_route_posts_random_liked_films_from_the_catalog(sample_catalog_dir: Path):
    index = load_index(sample_catalog_dir)
    taste = random_walks(index, count=200)[TASTE]
    assert taste.bodies is not None
    assert len(taste.bodies) == len(taste.paths) == 200
    assert set(taste.paths) == {"/recommendations"}
    movies = {entry.id for entry in index.search_entries}
    liked = [[film["id"] for film in json.loads(body)["liked"]] for body in taste.bodies]
    assert all(len(set(ids)) == min(LIKED_PER_TASTE, len(movies)) for ids in liked)
    assert {i for ids in liked for i in ids} <= movies
    assert len({tuple(ids) for ids in liked}) > 150  # not one body repeated


def test_each_run_walks_its_own_part_of_a_list():
    walk = Walk([f"/{n}" for n in range(100)], [str(n) for n in range(100)])
    warm, closed, paced = walk.part(0, 0.1), walk.part(0.1, 0.6), walk.part(0.6, 1)
    assert (warm.paths[0], closed.paths[0], paced.paths[0]) == ("/0", "/10", "/60")
    assert len(closed.paths) == 50
    assert closed.bodies == [str(n) for n in range(10, 60)]
    assert Walk(["/"]).part(0, 0.1) == Walk(["/"])  # too short to split: walked whole
