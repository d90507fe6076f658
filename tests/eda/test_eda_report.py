"""The report on the sample ETL run: every section, figure and table is there and says something."""

import base64
import json
import re
from pathlib import Path

import pytest
from eda.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# What the report must hold, section by section (hand-written, not read from the code).
EXPECTED_SECTIONS = ["platforms", "content", "score", "ratings", "quality", "recommender"]
EXPECTED_FIGURES = {
    "platforms": ["titles_by_type", "release_years", "dates_added", "maturity_ratings",
                  "movie_minutes", "show_seasons"],
    "content": ["genres_by_platform", "top_countries", "top_directors", "top_actors",
                "missing_values"],
    "score": ["score_distribution", "score_vs_year", "score_vs_duration", "score_vs_user_rating"],
    "ratings": ["ratings_per_user", "ratings_per_title", "rating_values", "rating_activity",
                "unrated_movies"],
}
EXPECTED_TABLES = {
    "platforms": ["longest_movies", "shortest_movies", "missing_durations", "movies_in_seasons",
                  "longest_shows"],
    "quality": ["fixes", "rejections"],
}


def test_every_section_in_order(parsed_sample):
    assert parsed_sample.sections == EXPECTED_SECTIONS


def test_every_figure_is_inlined_with_caption_and_finding(parsed_sample, sample_report):
    expected = {slug: section for section, slugs in EXPECTED_FIGURES.items() for slug in slugs}
    assert {slug: f.section for slug, f in parsed_sample.figures.items()} == expected
    for slug, figure in parsed_sample.figures.items():
        prefix = "data:image/png;base64,"
        assert figure.img_src.startswith(prefix), slug
        png = base64.b64decode(figure.img_src[len(prefix):])
        assert png.startswith(PNG_MAGIC), slug
        assert (sample_report.parent / "figures" / f"{slug}.png").read_bytes() == png, slug
        assert len(figure.caption) > 20, slug
        assert len(figure.finding) > 20, slug
        assert figure.finding.endswith("."), slug


def test_every_table_is_there(parsed_sample):
    for section, slugs in EXPECTED_TABLES.items():
        for slug in slugs:
            assert parsed_sample.table_sections.get(slug) == section, slug


def test_report_needs_no_network(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html
    assert "@import" not in html
    assert "url(" not in html


def test_duration_outliers_listed(parsed_sample):
    tables = parsed_sample.tables
    header, *rows = tables["longest_movies"]
    assert header == ["id", "title", "platform", "release year", "duration"]
    # The sample's two 150-minute netflix movies lead; ties go by id.
    assert rows[:2] == [["ns1", "the long night", "netflix", "2020", "150 min"],
                        ["ns2", "another long night", "netflix", "2020", "150 min"]]
    assert tables["shortest_movies"][1] == ["ds1", "duck the halls", "disney", "2016", "23 min"]
    assert tables["missing_durations"][1:] == [["hs1", "ricky's special", "hulu", "2021",
                                                "missing"]]
    assert tables["movies_in_seasons"][1:] == [["none"]]
    assert tables["longest_shows"][1] == ["hs9", "comedy hour", "hulu", "2021", "4 seasons"]
    finding = parsed_sample.figures["movie_minutes"].finding
    assert "'the long night' (150 min, netflix)" in finding
    assert "'duck the halls' (23 min, disney)" in finding


def test_fixes_and_rejections_match_the_manifest(parsed_sample, sample_catalog_dir: Path):
    manifest = json.loads((sample_catalog_dir / "manifest.json").read_text())
    header, *rows = parsed_sample.tables["fixes"]
    assert header == ["fix", "what was done", "amazon", "disney", "hulu", "netflix", "total"]
    by_fix = {row[0]: row for row in rows}
    assert set(by_fix) == set(manifest["fixes"])
    # Hand-counted in tests/fixtures/sample/README.md.
    assert by_fix["duration_moved_from_rating"][2:] == ["0", "0", "2", "0", "2"]
    assert by_fix["null_rating_to_g"][-1] == "3"
    assert by_fix["score_derived_from_ratings"][2:] == ["0", "4", "0", "0", "4"]
    assert by_fix["date_missing"][-1] == "8"
    rejections = {(source, reason): int(rows) for source, reason, rows in
                  parsed_sample.tables["rejections"][1:]}
    assert sum(v for (source, _), v in rejections.items() if source == "catalog") == 5
    assert sum(v for (source, _), v in rejections.items() if source == "ratings") == 7
    assert rejections[("catalog", "duplicate_id")] == 1


def test_score_verdict_says_too_few_on_the_sample(parsed_sample):
    # 22 non-disney titles carry a file score; amazon s7's 101 was set to null: 21 left.
    verdicts = [note for note in parsed_sample.notes if note.startswith("Verdict")]
    assert verdicts == ["Verdict: none — only 21 file scores, fewer than the 50 a chi-square "
                        "test over ten bins needs."]


def test_ratings_findings(parsed_sample):
    finding = parsed_sample.figures["unrated_movies"].finding
    # 20 sample movies; rated: ds1 ds2 ds3 ds7 ns1 as2 as8 hs2.
    assert finding.startswith("12 of 20 catalog movies (60.0%) have no user rating")
    assert "Mean 3.31 stars" in parsed_sample.figures["rating_values"].finding
    assert parsed_sample.figures["titles_by_type"].finding.startswith(
        "disney has the largest catalog (8 titles)")


def test_recommender_section_says_what_is_missing(parsed_sample):
    notes = " ".join(parsed_sample.notes)
    assert "No offline evaluation in this run's manifest" in notes
    assert "No gateway URL was given" in notes


def test_cli_refuses_a_missing_run_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    missing = tmp_path / "no-such-run"
    assert main(["--run-dir", str(missing), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert str(missing) in error
    assert "make etl" in error
    assert not (tmp_path / "out").exists()
