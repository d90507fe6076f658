"""What a run says: a line as each stage starts and ends, details only when asked."""

import io
import sys

import pytest
from etl_job.progress import detail, detail_log, report_stages, stage, stage_log


def said(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_each_stage_says_when_it_starts_and_ends_with_its_result() -> None:
    out = io.StringIO()
    handler = report_stages(stream=out, prefix="up")
    try:
        with stage("reading", "the four catalog files") as result:
            result["done"] = "22,998 rows"
        detail("a table nobody asked for")
        with stage("publishing", "the lists"):
            pass
    finally:
        handler.close()
    lines = said(out)
    assert lines[0] == "up: reading — the four catalog files …"
    assert lines[1].startswith("up: reading — done in ")
    assert lines[1].endswith(" s (22,998 rows)")
    assert lines[2] == "up: publishing — the lists …"
    assert lines[3].startswith("up: publishing — done in ")
    assert lines[3].endswith(" s")
    assert len(lines) == 4  # the detail is left out


def test_verbose_prints_the_details_and_a_failed_stage_says_it_stopped() -> None:
    out = io.StringIO()
    handler = report_stages(stream=out, verbose=True)
    try:
        detail("offline evaluation: the table")
        with pytest.raises(ValueError, match="bad"), stage("training", "every title"):
            raise ValueError("bad")
    finally:
        handler.close()
    lines = said(out)
    assert lines[0] == "offline evaluation: the table"
    assert lines[1] == "etl: training — every title …"
    assert lines[2].startswith("etl: training — stopped after ")


def test_reporting_again_replaces_the_earlier_printer() -> None:
    first, second = io.StringIO(), io.StringIO()
    report_stages(stream=first).close()
    handler = report_stages(stream=second)
    try:
        with stage("cleaning", "the catalog"):
            pass
    finally:
        handler.close()
    assert first.getvalue() == ""
    assert len(said(second)) == 2


def test_lines_go_to_the_stdout_of_the_moment_not_a_closed_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The command line installs the handler once per process; a caller that swapped stdout
    # (a test's capture, a redirect) and closed it must not break the next run's stages.
    first = io.StringIO()
    monkeypatch.setattr(sys, "stdout", first)
    handler = report_stages(prefix="etl")
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stdout", second)
    try:
        with stage("reading", "the four catalog files"):
            pass
    finally:
        handler.close()
        for logger in (stage_log, detail_log):
            logger.removeHandler(handler)
    assert "etl: reading — the four catalog files" in second.getvalue()
