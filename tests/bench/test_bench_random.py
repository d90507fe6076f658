"""The random-traffic bench: paths over the whole domain, title keys never repeated, its verdicts
and py-spy summaries."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.load import LoadResult
from bench.profile import Profile, ServiceCost
from bench.random_load import Cost, RandomResults
from bench.random_traffic import MIX, RANDOM_ROUTES, internal_paths, mixed, random_paths
from bench.report import checks, render
from bench.results import plain
from bench.serving import BASELINE, TargetLoad
from catalog_service.index import load_index


def test_title_keyed_routes_never_repeat_and_the_others_span_the_domain(sample_catalog_dir: Path):
    index = load_index(sample_catalog_dir)
    paths = random_paths(index, count=500)
    assert set(paths) == set(RANDOM_ROUTES)
    for route in ("get_recommendation", "titles/{id}"):
        assert len(paths[route]) == len(set(paths[route]))
    assert {p.removeprefix("/titles/") for p in paths["titles/{id}"]} == set(index.records)
    titles = {parse_qs(urlsplit(p).query)["titulo"][0] for p in paths["get_recommendation"]}
    assert titles == {entry.title for entry in index.search_entries}
    scores = [parse_qs(urlsplit(p).query) for p in paths["get_score_count"]]
    assert len(paths["get_score_count"]) == 500
    assert len({(q["platform"][0], q["scored"][0], q["year"][0]) for q in scores}) > 300
    assert {q["platform"][0] for q in scores} == {"amazon", "disney", "hulu", "netflix"}
    assert random_paths(index, count=500) == paths  # seeded: the same run every time
    mix = mixed(paths)
    assert mix[:len(RANDOM_ROUTES)] == [paths[route][0] for route in RANDOM_ROUTES]
    internal = internal_paths(index, [entry.id for entry in index.search_entries], count=50)
    assert all(p.startswith("/v1/") for walk in internal.values() for p in walk)


def _target(name: str, rps: float, p99: float = 5.0, paced_p99: float = 4.0) -> TargetLoad:
    target = TargetLoad(name)
    target.closed[16] = LoadResult(16, int(rps * 5), 5.0, 1.0, p99, 20.0, 0)
    target.paced = LoadResult(16, int(rps * 2.5), 5.0, 0.8, paced_p99, 30.0, 0)
    target.paced_target_rps = rps / 2
    return target


def random_checks(results: RandomResults) -> dict[str, tuple[str, bool]]:
    return {target: (measured, ok)
            for target, measured, ok in checks({"random": plain(results)})}


def test_verdicts_of_a_random_run_and_its_profile_summary():
    profile = Profile.parse(
        "main (app/main.py:1);handle (fastapi/routing.py:10);send (uvicorn/impl.py:5) 30\n"
        "main (app/main.py:1);handle (fastapi/routing.py:10) 10\n"
        "garbage line\n")
    assert profile.samples == 40
    assert profile.top(profile.packages, 2) == [("uvicorn", 0.75), ("fastapi", 0.25)]
    results = RandomResults(16, baseline=_target(BASELINE, 5000),
                            gateway=[_target("get_score_count", 1000),
                                     _target(MIX, 800, paced_p99=40.0)],
                            internal=[_target("catalog /v1/score-count", 3500)])
    results.costs = [Cost(MIX, 4000, 5.0, [ServiceCost("gateway", 2.0, profile),
                                           ServiceCost("catalog-service", 0.5, "py-spy failed")])]
    found = random_checks(results)
    assert found["random get_score_count: at least 0.15x the bare app"] == ("0.20x", True)
    assert found["random mix: at least 0.2x the bare app"] == ("0.16x", False)
    assert found["random mix: p99 under 25 ms at half load"] == ("40.0 ms", False)
    assert found["catalog /v1/score-count alone: at least 0.6x the bare app"] == ("0.70x", True)
    text = render({"date": "d", "machine": {}, "commands": [], "random": plain(results)}, None)
    assert "py-spy, `mix`, gateway: 40 samples; top self frames `send (uvicorn)` 75%" in text


def test_each_ratio_is_to_the_bare_run_right_before_it():
    """A burst of other work during one bare run must not skew every ratio: each target is
    compared with the bare run taken right before it, the arm with their median."""
    results = RandomResults(16, baseline=_target(BASELINE, 5000),
                            gateway=[_target("get_score_count", 1000), _target(MIX, 800)],
                            internal=[_target("catalog /v1/score-count", 3500)],
                            aiohttp_arm=[_target("mix (aiohttp arm)", 900)])
    bare = {"get_score_count": 2000.0, MIX: 4000.0, "catalog /v1/score-count": 7000.0}
    results.bare_before = {name: LoadResult(16, int(rps * 5), 5.0, 1.0, 5.0, 20.0, 0)
                           for name, rps in bare.items()}
    found = {target: measured for target, (measured, _) in random_checks(results).items()}
    assert found["random get_score_count: at least 0.15x the bare app"] == f"{1000 / 2000:.2f}x"
    assert found["random mix: at least 0.2x the bare app"] == f"{800 / 4000:.2f}x"
    assert (found["catalog /v1/score-count alone: at least 0.6x the bare app"]
            == f"{3500 / 7000:.2f}x")
    text = render({"date": "d", "machine": {}, "commands": [], "random": plain(results)}, None)
    assert f"| mix (aiohttp arm) | 16 | 900 | 1.00 | 5.00 | 0 | {900 / 4000:.2f}x |" in text


async def test_the_aiohttp_arm_is_the_gateway_on_another_client(monkeypatch, app_client):
    from gateway.clients import DownstreamClient
    from testkit.stand_in import StandIn

    from bench import aiohttp_gateway

    # The arm swaps the client method for the whole process: put it back after the test.
    monkeypatch.setattr(DownstreamClient, "_call", DownstreamClient._call)
    with StandIn({"/v1/count-platform": (200, {"count": 7})}, version="v1") as catalog:
        for name, value in (("CATALOG_SERVICE_URL", catalog.url),
                            ("RECSYS_SERVICE_URL", catalog.url), ("RATE_LIMIT", "")):
            monkeypatch.setenv(name, value)
        app = aiohttp_gateway.create_app()
        assert DownstreamClient._call is aiohttp_gateway._call_with_aiohttp
        async with app_client(app) as client:
            answer = await client.get("/get_count_platform", params={"platform": "hulu"})
        await aiohttp_gateway.close_sessions()
    assert (answer.status_code, answer.json()) == (200, 7)
    assert catalog.requests == ["/v1/count-platform?platform=hulu"]
