"""docs/capacity.md's model and renderer on hand-made results.json / scaling.json, every figure
checked against arithmetic done here; the results.json writer feeding it; the committed doc
rendered from the committed files."""

import json
import math
from pathlib import Path
from typing import Any

import pytest
from bench.capacity import main, render
from bench.capacity_model import build, load
from bench.etl import EtlResult, Stage
from bench.load import LoadResult
from bench.profile import Profile, ServiceCost
from bench.random_load import Cost, RandomResults
from bench.results import Results
from bench.results_json import as_json, write_json
from bench.serving import BASELINE, TargetLoad

MB = 2**20
GIB = 2**30
REPO = Path(__file__).resolve().parents[2]


def target(name: str, rps: float) -> dict[str, Any]:
    return {"name": name, "closed": {"16": {"connections": 16, "requests": int(rps * 5),
                                            "seconds": 5.0, "rps": rps}},
            "paced": None, "paced_target_rps": None}


def size(rows: int, seconds: float, peak_mb: int, load: float = 1.2) -> dict[str, Any]:
    return {"rows": rows, "returncode": 0, "seconds": seconds, "peak_rss_bytes": peak_mb * MB,
            "stages": [{"name": "evaluate", "seconds": seconds * 0.4,
                        "peak_rss_bytes": peak_mb * MB},
                       {"name": "train", "seconds": seconds * 0.5,
                        "peak_rss_bytes": peak_mb * MB // 2}],
            "movies": 20_000, "redis_memory": {"used_memory": (40 + rows // 10_000_000) * MB},
            "load_average_after": load}


def hand_made() -> tuple[dict[str, Any], dict[str, Any]]:
    cpu = {
        BASELINE: {"bare": 0.1},
        "get_actor": {"gateway": 0.5, "catalog-service": 0.2, "recsys-service": 0.0},
        "titles/{id}": {"gateway": 2.0, "catalog-service": 0.25, "recsys-service": 1.3},
        "mix": {"gateway": 1.0, "catalog-service": 0.2, "recsys-service": 0.7},
        "catalog /v1/titles/{id}": {"catalog-service": 0.15},
    }
    results = {
        "schema_version": 1, "date": "2026-01-01 00:00 UTC",
        "machine": {"Commit": "abc1234",
                    "Load average at start (1/5/15 min)": "1.00 / 0.90 / 0.80"},
        "load_average_end": 1.5, "reference_connections": 16,
        "loads": [target(BASELINE, 4000), target("get_actor", 2000)],
        "random": {"reference": 16, "baseline": target(BASELINE, 3000),
                   "gateway": [target("get_actor", 500), target("titles/{id}", 250),
                               target("mix", 400)],
                   "internal": [target("catalog /v1/titles/{id}", 1500),
                                target("recsys /v1/neighbours/{id}", 800)],
                   "cpu": cpu},
        "service_rss": {"gateway": 100 * MB, "catalog-service": 200 * MB,
                        "recsys-service": 80 * MB},
        "redis_memory": {"used_memory": 41 * MB}, "redis_empty": {"used_memory": 1 * MB},
        "redis_contents": {"keys": 7, "titles": 20_500, "titles_with_neighbours": 20_000,
                           "neighbour_rows": 1_000_000, "max_neighbours": 60},
        "etl": {"returncode": 0, "seconds": 100.0, "peak_rss": 2000 * MB,
                "stages": [{"name": "catalog", "seconds": 2.0, "peak_rss": 300 * MB},
                           {"name": "train", "seconds": 60.0, "peak_rss": 2000 * MB}],
                "manifest": {"rows": {"catalog": 20_000, "ratings": 10_000_000},
                             "model": {"ease": {"seconds": 8.0, "movies": 5_000,
                                                "movies_left_out": 5_000, "max_movies": 5_000}},
                             "evaluation": {"parameters": {"ease_fit_seconds": 12.0,
                                                           "ease_lambdas_tried": [1, 2, 3]}}}},
    }
    scaling = {"date": "2026-01-02 00:00 UTC", "commit": "def5678",
               "machine": "2 CPUs, load average (1 min) after the last size 1.20",
               "sizes": [size(1_000_000, 50.0, 1000), size(10_000_000, 140.0, 1900),
                         size(30_000_000, 340.0, 3900)]}
    return results, scaling


def test_pods_follow_cpu_per_request_at_the_planned_load_and_utilisation():
    model = build(*hand_made())
    # heaviest route per service: titles/{id} for all three here
    assert {s: model.services[s].worst_route for s in model.services} == {
        "gateway": "titles/{id}", "catalog-service": "titles/{id}",
        "recsys-service": "titles/{id}"}
    # 5,000 x ms / 1000 / 0.7, rounded up
    assert model.plan_pods("gateway") == math.ceil(5000 * 2.0 / 1000 / 0.7) == 15
    assert model.plan_pods("recsys-service") == math.ceil(5000 * 1.3 / 1000 / 0.7) == 10
    assert model.plan_pods("catalog-service") == 2
    assert model.mix_pods("gateway") == math.ceil(5000 * 1.0 / 1000 / 0.7) == 8
    assert model.mix_cores == pytest.approx(5000 * (1.0 + 0.2 + 0.7) / 1000 / 0.7)
    assert model.services["catalog-service"].alone == {"catalog /v1/titles/{id}": 1500}
    assert model.services["gateway"].memory_limit_bytes == 150 * MB


def test_exact_multiples_do_not_round_up_a_pod():
    results, scaling = hand_made()
    results["random"]["cpu"]["titles/{id}"]["recsys-service"] = 1.4  # 7.0 / 0.7 = 10 pods
    assert build(results, scaling).plan_pods("recsys-service") == 10


def test_redis_and_etl_arithmetic():
    model = build(*hand_made())
    redis = model.redis
    assert redis.version_bytes == 40 * MB
    assert redis.per_thousand_titles == 40 * MB / 20
    assert redis.per_thousand_title_neighbours == pytest.approx(40 * MB / 20 / 50)
    assert redis.peak_bytes(20_000) == 1 * MB + 3 * 40 * MB
    fit = model.fit
    assert fit is not None
    assert fit.seconds_per_million == (340 - 140) / 20
    assert fit.bytes_per_million == (3900 - 1900) * MB / 20
    assert model.etl_peak_bytes == 3900 * MB + 70 * 100 * MB
    assert model.etl_seconds == 340 + 70 * 10
    assert model.etl_memory_limit_gib == math.ceil(10_900 * 1.25 / 1024) == 14
    assert model.ease is not None
    assert model.ease.train_seconds_at(10_000) == 8.0 * 8


def test_the_document_shows_the_figures():
    text = render(build(*hand_made()))
    for figure in (
        "| gateway | 1.00 | titles/{id} 2.00 | 1,000 | 500 |",  # 1000 / ms per core
        "| recsys-service | 5 | 10 | 1 | 120.0 MB |",  # pods mix, maxReplicas, 1.5 x 80 MB
        "**13.6 cores**",  # 5,000 x 1.9 ms / 0.7
        "**2.0 MB per 1,000 titles**", "**41.0 KB per 1,000 titles per neighbour kept**",
        "1,000,000 neighbour rows kept (50.0 per title, at most 60)",
        "measured catalog needs 121.0 MB",
        "1M→10M 10.0 s and 100.0 MB; 10M→30M 10.0 s and 100.0 MB",
        "**peak 10.64 GiB**", "**1,040 s**", "**14 Gi**",
        "| 10,000 | 381.5 MB | 64 | *arithmetic* |",  # 4 x 10,000², 8 s x 2³
        "one copy is 9.31 GiB and training 2.2 h",  # 50,000: 8 s x 10³
        "2.00 s for 20,000 titles (0.100 s per 1,000",
        "| gateway `titles/{id}` | random | 250 |",
        "| [`bench/scaling.json`](../bench/scaling.json) | 2026-01-02 00:00 UTC | def5678 |",
        "1.00 / 0.90 / 0.80 at the start, 1.50 at the end",
    ):
        assert figure in text, figure


def test_missing_figures_are_said_not_invented():
    results, scaling = hand_made()
    del results["redis_empty"], results["redis_contents"]
    scaling["sizes"] = scaling["sizes"][:1]
    model = build(results, scaling)
    text = render(model)
    assert model.redis.titles == 20_000  # from bench.scaling's published movies
    assert model.redis.version_bytes == 41 * MB
    assert "not recorded: included, an upper line" in text
    assert "neighbour rows not recorded" in text
    assert "Fewer than two scaling sizes" in text
    assert model.etl_peak_bytes is None


def test_results_json_from_a_run_feeds_the_model(tmp_path: Path):
    closed = {16: LoadResult(16, 1000, 2.0, 1.0, 5.0, 9.0, 0)}
    random = RandomResults(reference=16, baseline=TargetLoad(BASELINE, dict(closed)),
                           gateway=[TargetLoad("titles/{id}", dict(closed)),
                                    TargetLoad("mix", dict(closed))],
                           cpu={"titles/{id}": {"gateway": 1.25, "catalog-service": 0.5,
                                                "recsys-service": 0.8},
                                "mix": {"gateway": 0.9, "catalog-service": 0.3,
                                        "recsys-service": 0.4}})
    profile = Profile.parse("main (uvicorn/main.py:1);send (uvicorn/protocol.py:9) 30\n"
                            "main (uvicorn/main.py:1);dumps (orjson/x.py:2) 10\n")
    random.costs = [Cost("mix", 400, 2.0, [ServiceCost("gateway", 0.4, profile),
                                           ServiceCost("recsys-service", 0.1, "py-spy failed")])]
    etl = EtlResult("etl-job run", 0, 90.0, 1900 * MB, [Stage("catalog", 0.7, 400 * MB)],
                    {"rows": {"catalog": 22_998, "ratings": 11_000_000}, "inputs": {"x": 1},
                     "evaluation": {"parameters": {"ease_fit_seconds": 3.0}, "per_user": [1]}})
    results = Results(date="2026-01-01 00:00 UTC", machine={"Commit": "abc"}, commands=[],
                      etl=etl, random=random, redis_memory={"used_memory": 36 * MB},
                      service_rss={"gateway": 70 * MB}, changes="prose")
    path = tmp_path / "results.json"
    write_json(results, path)
    document = json.loads(path.read_text())
    assert document == as_json(results)
    assert "changes" not in document
    assert document["random"]["gateway"][0]["closed"]["16"]["rps"] == 1000 / 2.0
    gateway_cost, recsys_cost = document["random"]["costs"][0]["services"]
    assert gateway_cost["profile"] == {"samples": 40, "packages": {"uvicorn": 0.75, "orjson": 0.25},
                                       "self_frames": {"send (uvicorn)": 0.75,
                                                       "dumps (orjson)": 0.25}}
    assert recsys_cost["profile"] == "py-spy failed"
    assert document["etl"]["manifest"] == {
        "rows": {"catalog": 22_998, "ratings": 11_000_000},
        "evaluation": {"parameters": {"ease_fit_seconds": 3.0}}}
    model = build(document, hand_made()[1])
    assert model.services["gateway"].worst_ms == 1.25
    assert model.services["recsys-service"].mix_ms == 0.4
    assert model.gateway_rps == {"titles/{id}": 500.0, "mix": 500.0}
    assert model.shipped is not None
    assert model.shipped.peak_bytes == 1900 * MB


def test_the_committed_document_is_rendered_from_the_committed_files():
    model = load(REPO / "bench" / "results.json", REPO / "bench" / "scaling.json")
    assert (REPO / "docs" / "capacity.md").read_text(encoding="utf-8") == render(model), (
        "docs/capacity.md is stale: run `uv run python -m bench.capacity`")


def test_published_contents_reads_the_current_versions_meta(redis_server, hand_written_model):
    from bench.run import published_contents

    model = hand_written_model
    prefix = model.publish(redis_server.url, meta={"kind": "hand-written"})
    found = published_contents(redis_server.url, prefix)
    assert found["titles"] == len(model.movies) + len(model.shows)
    assert found["titles_with_neighbours"] == 2  # ns1 and ns4
    assert found["neighbour_rows"] == len(model.neighbours_of_ns1) + len(model.neighbours_of_ns4)
    assert found["keys"] >= 6  # current, versions and the version's four keys
    assert published_contents(redis_server.url, "nothing-published-here")["titles"] == 0


def test_the_command_refuses_files_without_the_figures_it_needs(tmp_path: Path, capsys):
    results, scaling = hand_made()
    del results["random"]  # a bench.run whose ETL failed never reached the serving part
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "scaling.json").write_text(json.dumps(scaling))
    out = tmp_path / "capacity.md"
    out.write_text("before")
    args = ["--results", str(tmp_path / "results.json"), "--scaling",
            str(tmp_path / "scaling.json"), "--out", str(out)]
    assert main(args) == 1
    assert out.read_text() == "before"
    assert "KeyError: 'random'" in capsys.readouterr().err
    results, _ = hand_made()
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert main(args) == 0
    assert out.read_text() == render(build(results, scaling))
