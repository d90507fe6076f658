"""The results writer and the pieces it reads: verdicts, tables, wrk's summary, stage windows."""

from pathlib import Path

from bench.etl import EtlResult, Stage, ordered_stages, stage_windows
from bench.inprocess import Cost
from bench.load import LoadResult, lua_script, parse_done_line
from bench.results import MB, Results, checks, render, write
from bench.serving import BASELINE, TargetLoad


def load(name: str, rps: float, *, p99: float = 5.0, errors: int = 0,
         paced_p99: float | None = None) -> TargetLoad:
    target = TargetLoad(name)
    target.closed[16] = LoadResult(16, int(rps * 5), 5.0, 1.0, p99, 20.0, errors)
    if paced_p99 is not None:
        target.paced = LoadResult(16, int(rps * 2.5), 5.0, 0.8, paced_p99, 30.0, 0)
        target.paced_target_rps = rps / 2
    return target


def sample_results() -> Results:
    etl = EtlResult(
        command="DATA_DIR=/d etl-job run", returncode=0, seconds=130.0, peak_rss=3000 * MB,
        stages=[Stage("catalog", 1.0, 300 * MB), Stage("ratings", 2.0, 700 * MB),
                Stage("train", 100.0, 2900 * MB)],
        manifest={"rows": {"catalog": 22998, "ratings": 11024289, "quarantine": 0},
                  "model": {"ease": {"seconds": 7.5, "movies": 6000, "movies_left_out": 10481,
                                     "max_movies": 6000, "lambda": 500.0}},
                  "evaluation": {"parameters": {"ease_fit_seconds": 21.25,
                                                "ease_lambdas_tried": [200.0, 500.0, 1000.0]}}})
    return Results(
        date="2026-01-01 00:00 UTC", machine={"Machine": "test box, 2 cores"},
        commands=["make bench"],
        generated={"rows": 11024289, "users": 270896, "movies": 16481, "files": 8, "seed": 42,
                   "seconds": 13.1, "out": "var/bench/generated-data"},
        etl=etl,
        pandas={"catalog_seconds": 0.5, "ratings_seconds": 9.0, "polars_floor_seconds": 1.1,
                "peak_rss": 1100 * MB},
        loads=[load(BASELINE, 7000), load("get_count_platform", 3000, paced_p99=12.0),
               load("get_recommendation", 1400, errors=3)],
        variants={"cache off": [load("get_count_platform", 1200)]},
        catalog_costs=[Cost("get_count_platform", 0.4, 1000), Cost("get_actor", 250.0, 10)],
        redis_costs=[Cost("raw HGET of one packed neighbour list", 80.0, 100)],
        service_rss={"catalog-service": 190 * MB, "gateway": 300 * MB},
        redis_memory={"used_memory": 15 * MB},
        notes=["a note"], changes="## Changes\n\n- one change")


def by_target(results: Results) -> dict[str, tuple[str, bool, str]]:
    return {c.target: (c.measured, c.ok, c.gap) for c in checks(results)}


def test_checks_say_which_targets_hold_and_by_how_much_the_others_miss():
    found = by_target(sample_results())
    assert found["full ETL under 120 s wall (training, Redis load included)"] == (
        "130.0 s", False, "1.08x the limit")
    assert found["full ETL under 4 GB peak memory"][1] is True
    assert found["ratings ingest + aggregation at least 4x faster than pandas"][:2] == (
        "4.50x", True)
    assert found["get_count_platform: throughput at c=16 at least 0.35x the bare app"][:2] == (
        "0.43x", True)
    assert found["get_recommendation: throughput at c=16 at least 0.3x the bare app"] == (
        "0.20x", False, "67% of the target")
    assert found["get_count_platform: p99 under 25 ms at half its throughput"][1] is True
    assert found["no errors under load"] == ("3 errors", False, "")
    assert found["get_actor: catalog query under 200 µs in process"][1] is False
    assert found["gateway under 250 MB resident"] == ("300 MB", False, "1.20x the limit")
    assert found["Redis used_memory under 100 MB"] == ("15 MB", True, "")


def test_render_has_every_section_and_figure(tmp_path: Path):
    results = sample_results()
    path = tmp_path / "results.md"
    write(results, path)
    text = path.read_text()
    assert text == render(results)
    for heading in ("# Benchmark results", "## Targets", "## 1. Data (GENERATED ratings)",
                    "## 2. ETL at full scale", "## 3. Serving under load",
                    "## 4. In-process costs", "## 5. Memory", "## Notes", "## Changes"):
        assert heading in text
    assert "11,024,289 generated ratings by 270,896 users" in text
    assert "| train | 100.00 | 2,900 MB |" in text
    assert ("EASE stage (inside the stages above): 7.50 s in train (XᵀX and one float32 "
            "Cholesky solve over 6,000 movies, 10,481 less-liked ones past the 6,000 bound left "
            "to BM25 and content), 21.25 s in evaluate (3 lambdas on the training split).") in text
    assert "| **whole process** | **130.00** | **3,000 MB** |" in text
    assert "| ratings read_csv x files, concat, checks, groupby | 9.00 | 2.00 | 4.50x |" in text
    assert "| get_count_platform | 16 | 3,000 | 1.00 | 5.00 | 0 | 0.43x |" in text
    assert "| get_count_platform | 16 | 1,200 | 1.00 | 5.00 | 0 | 0.17x |" in text  # variant
    assert "**cache off**" in text
    assert "| get_actor | 250.00 | 10 |" in text
    assert "| Redis used_memory | 15 MB |" in text
    assert "| full ETL under 120 s wall (training, Redis load included) | 130.0 s | " \
           "**missed** | 1.08x the limit |" in text


def test_a_failed_etl_shows_its_last_lines_and_no_etl_verdicts():
    results = sample_results()
    results.etl = EtlResult("etl-job run", 3, 50.0, 900 * MB, [], output_tail="BlendDominated")
    text = render(results)
    assert "The run failed; its last lines:" in text
    assert "BlendDominated" in text
    assert not any(c.target.startswith("full ETL") for c in checks(results))


def test_wrk_summary_line_is_read_with_errors_summed():
    output = ('Running 1s test\n{"requests":5000,"duration_us":2000000,"p50_us":1500,'
              '"p99_us":9000,"max_us":12000,"non_2xx":2,"connect":0,"read":1,"write":0,'
              '"timeout":0}\n')
    result = parse_done_line(output, 16)
    assert (result.rps, result.p50_ms, result.p99_ms, result.errors) == (2500.0, 1.5, 9.0, 3)


def test_lua_script_rotates_the_paths_and_paces_only_when_asked():
    plain = lua_script(["/a?x=1", '/b?q="quoted"'])
    assert '"/a?x=1", "/b?q=\\"quoted\\""' in plain
    assert "delay" not in plain.split("done = function")[0]
    paced = lua_script(["/a"], delay_ms=4.0)
    assert "delay = function() return math.random(0, 8) end" in paced


def test_stage_windows_run_back_from_the_manifest_write():
    stages = ordered_stages({"checksums": 0.5, "catalog": 1.0, "train": 10.0, "ratings": 2.0,
                             "custom": 1.5})
    assert [name for name, _ in stages] == ["catalog", "ratings", "train", "checksums",
                                            "custom"]
    windows = stage_windows(stages, end=20.0)
    assert windows[0] == ("catalog", 5.0, 6.0)
    assert windows[-1] == ("custom", 18.5, 20.0)
