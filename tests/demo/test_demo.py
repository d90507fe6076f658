"""scripts/demo.py against a real gateway, catalog service and recsys service (own Redis)."""

import html
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

# Runs a real browser / real processes.
pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo.py"
METRICS = {"k": 5, "seed": 42, "holdout_fraction": 0.2, "train_users": 536,
           "held_out_users": 134, "liked_rating": 4.0, "tail_cutoff": 100, "blend_weight": 0.7,
           "models": {"popularity": {"hr_at_k": 0.2101, "tail_hr_at_k": 0.0, "queries": 900,
                                     "distinct_recommended": 5},
                      "blend": {"hr_at_k": 0.3456, "tail_hr_at_k": 0.1234, "queries": 900,
                                "distinct_recommended": 640}}}
MODEL = {"kind": "hybrid (test)", "blend_weight": 0.7, "metrics": METRICS,
         "blend": {"ease": 1.0, "bm25": 0.0, "content": 0.3, "lam": 8000.0, "tail": 2}}


@pytest.fixture(scope="module")
def stack(redis_server: Any, start_service: Callable[..., Any], sample_catalog_dir: Path,
          hand_written_model: Any) -> dict[str, str]:
    """Catalog (sample), recsys (a version published to the tests' Redis) and the gateway."""
    prefix = hand_written_model.publish(redis_server.url, meta=MODEL, prefix_name="test-demo")
    catalog = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(sample_catalog_dir / "catalog.parquet")})
    recsys = start_service("recsys_service.main:create_app",
                           {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    gateway = start_service("gateway.main:create_app", {
        "CATALOG_SERVICE_URL": catalog.url, "RECSYS_SERVICE_URL": recsys.url,
        "DOWNSTREAM_TIMEOUT_SECONDS": "10"})
    version = httpx.get(f"{recsys.url}/v1/model").json()["version"]
    return {"gateway": gateway.url, "recsys": recsys.url, "version": version}


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that no answer wraps, so the assertions can look for whole strings.
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("GATEWAY_URL", None)
    env.pop("RECSYS_URL", None)
    return subprocess.run([sys.executable, str(DEMO), *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO, check=False)


@pytest.fixture(scope="module")
def demo_run(stack: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_demo("--gateway-url", stack["gateway"], "--recsys-url", stack["recsys"])


def test_demo_exits_zero(demo_run):
    assert demo_run.returncode == 0, demo_run.stdout + demo_run.stderr
    assert "Every call answered as promised" in demo_run.stdout


def test_demo_calls_every_route_with_sample_arguments(demo_run):
    out = demo_run.stdout
    # ns1 is the first title page read: a 2020 netflix movie from argentina, pg-13, score 80.
    assert "Read 1 title pages to pick a movie the data holds: the long night (ns1)" in out
    for request in ["/get_max_duration?year=2020&platform=netflix&duration_type=min",
                    "/get_score_count?platform=netflix&scored=79&year=2020",
                    "/get_count_platform?platform=netflix",
                    "/get_actor?platform=netflix&year=2020",
                    "/prod_per_county?tipo=pelicula&pais=argentina&anio=2020",
                    "/get_contents?rating=pg-13",
                    "/get_recommendation?titulo=the+long+night",
                    "/titles/ns1"]:
        assert request in out, request
    # Answers the sample README computes by hand.
    assert "'another long night'" in out  # longest netflix movie of 2020
    assert "'lucia perez'" in out  # top netflix actor of 2020
    assert '["another long night", "night drive", "last tango", "tango story", "morning drive"]' \
        in out


def test_demo_shows_reasons_errors_and_the_model(demo_run, stack, hand_written_model):
    out = demo_run.stdout
    assert "+ 6 recommendations with reasons (below)" in out
    for _, _, reason in hand_written_model.neighbours_of_ns1:
        assert reason in out
    assert "/get_recommendation?titulo=the+long+niht" in out
    assert '"suggestions": ["the long night"' in out
    assert "/get_count_platform?platform=hbo" in out
    assert '"parameter": "platform"' in out
    assert stack["version"] in out
    assert "0.3456" in out  # the blend's HR@5 from the published metrics
    # The shipped blend, from the version's own record, in a sentence a user reads.
    assert ("What ships: EASE (people who liked X also liked Y) with 0.3 of content "
            "similarity; 2 of every 5 places go to less-watched films.") in out
    assert "two lists" not in out
    assert "134 users (20% of them, seed 42) are held out" in out


def test_demo_shows_each_subscription_feature_once(demo_run):
    out = demo_run.stdout
    # ns1's recommendations are on four platforms: the filter takes the first other than
    # netflix (ns1's own), hulu, whose two are night drive and morning drive.
    assert "/get_recommendation?titulo=the+long+night&platform=hulu" in out
    assert '["night drive", "morning drive"]' in out
    assert "where to watch: night drive (hulu); morning drive (hulu)" in out
    assert "/get_recommendation?titulo=blue+waters" in out
    assert "a show gets shows: the chronicles (tv show), quiet town (tv show)" in out
    assert "POST /recommendations (body below)" in out
    assert "Because you liked the long night." in out
    assert "unknown: 'the long niht ii'" in out
    assert "/search?q=the+lon&limit=5" in out


def test_demo_fails_when_the_gateway_is_down(unused_port):
    result = run_demo("--gateway-url", f"http://127.0.0.1:{unused_port()}", "--timeout", "2")
    assert result.returncode == 1
    assert "Cannot run the demo" in result.stdout
    assert "make up" in result.stdout


def test_demo_fails_when_recsys_is_down(stack, unused_port):
    result = run_demo("--gateway-url", stack["gateway"],
                      "--recsys-url", f"http://127.0.0.1:{unused_port()}", "--timeout", "2")
    assert result.returncode == 1
    assert "1 call(s) failed" in result.stdout
    assert "/v1/model did not answer" in result.stdout


def make(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}
    for name in ("GATEWAY_URL", "RECSYS_URL", "GATEWAY_PORT", "RECSYS_PORT"):
        env.pop(name, None)
    return subprocess.run(["make", "--no-print-directory", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=REPO, check=False)


def port(url: str) -> str:
    return url.rsplit(":", 1)[1]


def test_make_demo_on_another_port(stack):
    done = make("demo", f"GATEWAY_PORT={port(stack['gateway'])}",
                f"RECSYS_PORT={port(stack['recsys'])}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Demo of the public API at {stack['gateway']}" in done.stdout
    assert "Every call answered as promised" in done.stdout


def test_make_eda_asks_the_gateway_on_another_port(stack, sample_catalog_dir):
    output_dir = sample_catalog_dir.parent.parent  # OUTPUT_DIR/runs/<id>, `current` beside
    done = make("eda", f"OUTPUT_DIR={output_dir}", f"GATEWAY_PORT={port(stack['gateway'])}")
    assert done.returncode == 0, done.stdout + done.stderr
    report = html.unescape((REPO / "reports" / "eda.html").read_text(encoding="utf-8"))
    assert f"Asked of the gateway at {stack['gateway']}" in report
    assert "No gateway URL was given" not in report


def _demo_module():
    spec = importlib.util.spec_from_file_location("demo_script", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("blend", "sentence"), [
    ({"ease": 1.0, "bm25": 0.0, "content": 0.3, "lam": 8000, "tail": 2},
     "EASE (people who liked X also liked Y) with 0.3 of content similarity; 2 of every 5 "
     "places go to less-watched films."),
    ({"ease": 0.5, "bm25": 1.0, "content": 1.0, "lam": 500, "tail": 0},
     "BM25 (films the same viewers liked) with 0.5 of EASE and 1 of content similarity."),
    (None, "the served version does not record its blend."),
])
def test_the_blend_is_said_in_a_sentence(blend, sentence):
    assert _demo_module().blend_sentence(blend) == sentence


def test_the_demo_picks_a_well_known_film_when_the_data_has_one():
    demo = _demo_module()
    page = {"title": {"id": "ds9", "type": "movie", "title": "toy story",
                      "display_title": "Toy Story", "cast": "Tom Hanks",
                      "country": "united states", "score": 90},
            "recommendations": {"available": True, "items": [{"id": "ds10"}]}}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/search" and request.url.params["q"] == "toy story":
            return httpx.Response(200, json={"results": [
                {"id": "ds9", "title": "toy story", "type": "movie"}]})
        if request.url.path == "/titles/ds9":
            return httpx.Response(200, json=page)
        return httpx.Response(404, json={"detail": "not here"})

    from rich.console import Console

    console = Console(record=True, width=200)
    with httpx.Client(base_url="http://gateway.test",
                      transport=httpx.MockTransport(answer)) as client:
        chosen = demo.find_movie(demo.Demo(client=client, console=console))
    assert chosen == page
    assert "A film most people know: Toy Story (ds9)." in console.export_text()
