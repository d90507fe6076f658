"""Section logic on hand-made data: the score verdict, the recommender's evaluation and examples."""

import json
from pathlib import Path

import httpx
import polars as pl
import pytest
from eda.data import load_run
from eda.sections.recommender import recommender_section
from eda.sections.score import verdict

# The shape the ETL writes under "evaluation" (EvaluationReport.as_dict), numbers made up.
EVALUATION = {
    "k": 5, "seed": 42, "holdout_fraction": 0.2, "train_users": 536, "held_out_users": 134,
    "liked_rating": 4.0, "tail_cutoff": 100, "blend_weight": 0.7,
    "models": {
        "popularity": {"hr_at_k": 0.21, "tail_hr_at_k": 0.0, "queries": 900,
                       "distinct_recommended": 5},
        "content only": {"hr_at_k": 0.11, "tail_hr_at_k": 0.05, "queries": 900,
                         "distinct_recommended": 700},
        "blend": {"hr_at_k": 0.3456, "tail_hr_at_k": 0.12, "queries": 900,
                  "distinct_recommended": 640},
    },
    "blend_grid": [{"weight": 0.5, "hr_at_k": 0.3, "tail_hr_at_k": 0.1},
                   {"weight": 0.7, "hr_at_k": 0.3456, "tail_hr_at_k": 0.12}],
    "parameters": {"bm25_k1": 100.0},
}


def test_flat_scores_are_uniform_noise():
    flat = pl.Series("score", [s for s in range(1, 101) for _ in range(10)])
    text = verdict(flat, None)
    assert text.startswith("Verdict: the score behaves like uniform noise.")
    assert "χ² = 0.00 with 9 degrees of freedom, p = 1, n = 1,000" in text


def test_peaked_scores_are_not_uniform():
    # Most titles score 61-80, as a real rating bunched around "good" would.
    peaked = pl.Series("score", [70] * 600 + [75] * 300 + list(range(1, 101)))
    text = verdict(peaked, None)
    assert text.startswith("Verdict: the score is not uniform")
    assert "p = 0" in text


def test_too_few_scores_give_no_verdict():
    assert verdict(pl.Series("score", [10, 20, None]), None).startswith(
        "Verdict: none — only 2 file scores")


@pytest.fixture
def run_with_evaluation(sample_catalog_dir: Path, tmp_path: Path) -> Path:
    """A copy of the sample run whose manifest carries an evaluation."""
    for name in ("catalog.parquet", "ratings.parquet"):
        (tmp_path / name).write_bytes((sample_catalog_dir / name).read_bytes())
    manifest = json.loads((sample_catalog_dir / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({
        **manifest, "evaluation": EVALUATION, "model": {"kind": "hybrid", "blend_weight": 0.7},
        "redis": {"version": "v-test-1", "key_prefix": "recs"}}))
    return tmp_path


def test_evaluation_table_and_chart(run_with_evaluation: Path):
    section = recommender_section(load_run(run_with_evaluation), gateway_url=None)
    tables = {table.slug: table for table in section.tables}
    evaluation = tables["evaluation"]
    assert evaluation.columns == ["model", "HR@5", "tail HR@5", "queries", "distinct movies"]
    assert evaluation.rows[2] == ["blend", "0.3456", "0.1200", 900, 640]
    assert ["held_out_users", 134] in tables["evaluation_setup"].rows
    assert ["holdout_fraction", "0.2"] in tables["evaluation_setup"].rows
    assert tables["model"].rows == [["kind", "hybrid"], ["blend_weight", "0.7"],
                                    ["published version", "v-test-1"],
                                    ["published key_prefix", "recs"]]
    assert tables["blend_grid"].rows[1] == ["0.7", "0.3456", "0.1200"]
    (chart,) = section.figures
    assert chart.slug == "evaluation_chart"
    assert chart.finding == ("Best HR@5: 'blend' (0.3456 from 640 distinct movies); best tail "
                             "HR@5: 'blend' (0.1200 from 640 distinct movies).")
    assert any("No gateway URL" in note for note in section.notes)


def _title_page(request: httpx.Request) -> httpx.Response:
    movie_id = request.url.path.rsplit("/", 1)[-1]
    return httpx.Response(200, json={
        "title": {"id": movie_id, "title": f"title of {movie_id}"},
        "recommendations": {"available": True, "detail": None, "items": [
            {"id": "ns2", "title": "another long night", "score": 0.91,
             "reason": "shared director: ana ruiz"},
            {"id": "hs7", "title": "night drive", "score": 0.8, "reason": "shared genres"}]}})


def test_examples_come_from_the_gateway(sample_catalog_dir: Path):
    run = load_run(sample_catalog_dir)
    section = recommender_section(run, gateway_url="http://gateway.test",
                                  transport=httpx.MockTransport(_title_page))
    examples = next(t for t in section.tables if t.slug == "examples")
    # The three most-rated sample movies: ds3 (3 ratings), then ds1, ds7, ns1 with 2 (by id).
    assert [row[0] for row in examples.rows[::2]] == ["title of ds3", "title of ds1",
                                                      "title of ds7"]
    assert examples.rows[0] == ["title of ds3", 1, "another long night", "0.910",
                                "shared director: ana ruiz"]
    assert any("No offline evaluation" in note for note in section.notes)


def test_a_gateway_that_is_down_is_a_note_not_a_crash(sample_catalog_dir: Path):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    section = recommender_section(load_run(sample_catalog_dir), gateway_url="http://down.test",
                                  transport=httpx.MockTransport(refuse))
    notes = " ".join(section.notes)
    assert "the gateway did not answer" in notes
    assert "The gateway at http://down.test gave no example recommendations." in notes


@pytest.mark.slow  # renders every figure of the report (~10 s of matplotlib)
def test_a_thin_run_still_renders_every_figure(sample_catalog_dir: Path, tmp_path: Path):
    """No ratings, no hulu titles, a manifest with nothing but its id: gaps are said, not hit."""
    from eda.report import build_report

    run = tmp_path / "run"
    run.mkdir()
    catalog = pl.read_parquet(sample_catalog_dir / "catalog.parquet")
    catalog.filter(pl.col("platform") != "hulu").write_parquet(run / "catalog.parquet")
    pl.read_parquet(sample_catalog_dir / "ratings.parquet").head(0).write_parquet(
        run / "ratings.parquet")
    (run / "manifest.json").write_text(json.dumps({"run_id": "thin"}))

    html = build_report(run_dir=run, out_dir=tmp_path / "out").read_text(encoding="utf-8")

    assert html.count("data-figure=") == 20
    assert html.count("Finding: No ratings.") == 4  # per user, per title, values, activity
    assert "This manifest records no fixes table." in html
    assert "ETL run <code>thin</code>" in html


def test_age_band_table_shows_the_mapping_and_titles_per_platform():
    from eda.sections.platforms import age_bands

    catalog = pl.DataFrame({"platform": ["netflix", "netflix", "disney", "hulu"],
                            "age_band": ["kids", "adult", "kids", "unknown"]})
    table = age_bands(catalog)
    rows = {row[0]: row for row in table.rows}
    assert list(rows) == ["kids", "family", "teen", "adult", "unknown"]
    assert "tv-y7" in rows["kids"][1]
    assert "tv-ma" in rows["adult"][1]
    by_platform = dict(zip(table.columns, rows["kids"], strict=True))
    assert (by_platform["netflix"], by_platform["disney"], by_platform["hulu"]) == ("1", "1", "0")
