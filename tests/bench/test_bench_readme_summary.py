"""The README's serving summary: cached and random-traffic ratios side by side, from the
results.json document make bench writes; only the block between the markers changes."""

from pathlib import Path

from bench.load import LoadResult
from bench.random_load import RandomResults
from bench.random_traffic import MIX
from bench.readme_summary import BEGIN, END, block, cached_ratios, random_figures, update
from bench.results import Results
from bench.results_json import as_json
from bench.serving import BASELINE, TargetLoad


def _run(rps: float, p99: float = 5.0) -> LoadResult:
    return LoadResult(16, int(rps * 5), 5.0, 1.0, p99, 20.0, 0)


def _target(name: str, rps: float, paced_p99: float = 4.0) -> TargetLoad:
    target = TargetLoad(name)
    target.closed[16] = _run(rps)
    target.paced = _run(rps / 2, paced_p99)
    target.paced_target_rps = rps / 2
    return target


def document() -> dict:
    results = Results(date="2026-12-01 17:30 UTC",
                      machine={"Commit": "abc1234",
                               "Load average at start (1/5/15 min)": "1.00 / 1.00 / 1.00"},
                      commands=[])
    results.loads = [_target(BASELINE, 5000), _target("get_score_count", 2000),
                     _target("get_recommendation", 1400)]
    random = RandomResults(16, baseline=_target(BASELINE, 6000),
                           gateway=[_target("get_score_count", 1000, paced_p99=12.0),
                                    _target(MIX, 900, paced_p99=40.0)],
                           internal=[_target("catalog /v1/score-count", 3000)])
    random.bare_before = {"get_score_count": _run(4000), MIX: _run(5000),
                          "catalog /v1/score-count": _run(4500)}
    random.cpu = {"get_score_count": {"gateway": 0.41, "catalog-service": 0.12},
                  MIX: {"gateway": 0.55},
                  "get_score_count (httpx, shipped)": {"gateway": 0.5},
                  "get_score_count (aiohttp arm)": {"gateway": 0.4}}
    results.random = random
    return as_json(results)


def test_ratios_come_from_the_runs_of_the_document():
    doc = document()
    assert cached_ratios(doc) == {"get_score_count": 2000 / 5000,
                                  "get_recommendation": 1400 / 5000}
    random = random_figures(doc)
    # Each random target against the bare run right before it, not the one at the start.
    assert random["get_score_count"] == {"ratio": 1000 / 4000, "p99": 12.0, "cpu": 0.41}
    assert random[MIX]["ratio"] == 900 / 5000
    assert random["catalog /v1/score-count"]["ratio"] == 3000 / 4500


def test_the_block_shows_both_cases_per_route_and_names_each_miss():
    text = block(document())
    assert text.startswith(BEGIN)
    assert text.endswith(END)
    lines = text.splitlines()
    assert "| `get_score_count` | 0.40\u00d7 | 0.25\u00d7 | 12.0 | 0.41 |" in lines
    assert "| `get_recommendation` | 0.28\u00d7 **missed** | — | — | — |" in lines
    assert "| `mix` | — | 0.18\u00d7 **missed** | 40.0 **missed** | 0.55 |" in lines
    assert "| catalog /v1/score-count alone | — | 0.67\u00d7 | — | — |" in lines
    assert "`get_score_count` 0.50 → 0.40 ms" in text
    assert "abc1234" in text
    assert "a bare run right before each target" in text


def test_only_the_marked_block_is_rewritten(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{BEGIN}\nold figures\n{END}\nafter\n",
                      encoding="utf-8")
    assert update(readme, document())
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n" + BEGIN)
    assert text.endswith(END + "\nafter\n")
    assert "old figures" not in text
    assert "| `mix` |" in text
    unmarked = tmp_path / "OTHER.md"
    unmarked.write_text("no markers here\n", encoding="utf-8")
    assert not update(unmarked, document())
    assert unmarked.read_text(encoding="utf-8") == "no markers here\n"
