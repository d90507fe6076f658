"""The scaling verdicts and their place in the report, on hand-written figures."""

from bench.report import render
from bench.scaling import MB, verdicts


def size(rows: int, seconds: float, peak_mb: int, returncode: int = 0) -> dict:
    return {
        "rows": rows,
        "users": rows // 40,
        "returncode": returncode,
        "seconds": seconds,
        "load_average_after": 3.5,
        "peak_rss": peak_mb * MB,
        "output_tail": "boom" if returncode else "",
        "stages": [
            {"name": "ratings", "seconds": seconds / 4, "peak_rss": peak_mb * MB},
            {"name": "train", "seconds": seconds / 2, "peak_rss": None},
        ],
    }


def test_verdicts_name_each_target_met_or_missed() -> None:
    lines = verdicts(
        [size(1_000_000, 10.0, 500), size(11_000_000, 80.0, 2000), size(33_000_000, 300.0, 5000)]
    )
    assert lines[0] == (
        "seconds per extra million ratings: 1M→11M 7.0 s, 11M→33M 10.0 s "
        "(linear time keeps these equal)"
    )
    assert lines[1] == (
        "peak memory 33M / 11M = 2.50 (target < 1.5): MISSED: the peak is in "
        "stage ratings (5,000 MB, x2.50 of its peak at 11M; stage ratings "
        "grew most, +3,000 MB)"
    )
    assert lines[2].startswith(
        "33M wall 300 s (target < 240 s): MISSED: the longest stage is "
        "train (150 s of 300); load average (1 min) 3.5 on "
    )
    assert lines[3].startswith("33M peak 4.88 GB (target < 4 GB): MISSED: the peak is in stage")
    met = verdicts([size(11_000_000, 80.0, 2000), size(33_000_000, 200.0, 2900)])
    assert met[1:] == [
        "peak memory 33M / 11M = 1.45 (target < 1.5): met",
        "33M wall 200 s (target < 240 s): met",
        "33M peak 2.83 GB (target < 4 GB): met",
    ]


def test_a_failed_size_is_shown_with_its_exit_and_judged_on_the_others() -> None:
    sizes = [size(11_000_000, 80.0, 2000), size(33_000_000, 30.0, 9000, returncode=137)]
    judged = verdicts(sizes)
    record = {
        "command": "python -m bench.scaling",
        "date": "2026-01-01 00:00 UTC",
        "machine": "test box",
        "sizes": sizes,
        "verdicts": judged,
    }
    assert not any(line.startswith("33M") for line in judged)
    text = render({"date": "d", "machine": {}, "commands": []}, record)
    assert "| 33,000,000 | 137 | 30.0 | 9,000 MB | train |" in text
