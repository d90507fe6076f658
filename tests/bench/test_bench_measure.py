"""bench.measure.run_measured: a child's peak memory is its own, not the parent's carried over."""

import sys
from pathlib import Path

from bench.measure import run_measured

MB = 2**20


def test_a_small_child_of_a_big_parent_reports_its_own_peak(tmp_path: Path):
    held = bytearray(400 * MB)  # the parent's high-water mark is now at least 400 MB
    held[::4096] = b"x" * len(held[::4096])  # touch every page so it is resident
    measured = run_measured(
        [sys.executable, "-c", "import time; time.sleep(0.3)"],
        env={},
        cwd=tmp_path,
        log_path=tmp_path / "small.log",
    )
    assert measured.returncode == 0
    assert 0 < measured.peak_rss < 150 * MB
    del held


def test_a_child_bigger_than_its_parent_reports_its_peak(tmp_path: Path):
    code = (
        "import time; b = bytearray(700 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
        "time.sleep(0.3)"
    )
    measured = run_measured(
        [sys.executable, "-c", code], env={}, cwd=tmp_path, log_path=tmp_path / "big.log"
    )
    assert measured.returncode == 0
    assert measured.peak_rss >= 700 * MB
