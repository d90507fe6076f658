"""Processes measured to completion: a command's wall time and peak memory, the ETL's stages."""

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis
from contracts.schema import CURRENT_LINK, MANIFEST_FILE

# The order the stages run in (the manifest's dict is not); a stage not listed runs last.
STAGE_ORDER = ("catalog", "ratings", "write", "evaluate", "train", "publish", "checksums")
MANIFEST_KEYS = ("rows", "model", "stage_seconds", "run_seconds")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its children, 0 once it (or a child being read) is gone."""
    try:
        parent = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
    except psutil.NoSuchProcess:
        return 0


def redis_memory(url: str) -> dict[str, int]:
    with redis.Redis.from_url(url) as client:
        info = client.info("memory")
    return {key: int(info[key]) for key in ("used_memory", "used_memory_rss", "used_memory_peak")}


@dataclass(frozen=True)
class Measured:
    """A finished command: exit code, wall seconds, peak RSS, and an RSS timeline."""

    returncode: int
    seconds: float
    peak_rss: int  # bytes
    timeline: list[tuple[float, int]]  # (seconds since start, RSS bytes of the process tree)
    ended_at: float  # time.time() when it exited
    output: str


def run_measured(
    args: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, interval: float = 0.05
) -> Measured:
    """Run a command to completion, sampling its memory.

    The peak is wait4's unless that cannot be told apart from this process's own: Linux
    carries the parent's high-water mark into a forked child, so after this process held 3 GB
    a child that never passed 1.8 GB reported 3.1 GB. Then the sampled peak is the figure.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    own_high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            args, env={**os.environ, **env}, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        timeline: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                timeline.append((time.perf_counter() - started, tree_rss(process.pid)))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds, ended_at = time.perf_counter() - started, time.time()
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    sampled = max((rss for _, rss in timeline), default=0)
    reported = usage.ru_maxrss * 1024
    peak = max(reported, sampled) if reported > own_high_water else sampled
    output = log_path.read_text(encoding="utf-8", errors="replace")
    return Measured(process.returncode, seconds, peak, timeline, ended_at, output)


def ordered_stages(stage_seconds: dict[str, float]) -> list[tuple[str, float]]:
    known = [(name, stage_seconds[name]) for name in STAGE_ORDER if name in stage_seconds]
    return known + [(n, s) for n, s in stage_seconds.items() if n not in STAGE_ORDER]


def stage_windows(stages: list[tuple[str, float]], *, end: float) -> list[tuple[str, float, float]]:
    """(name, start, stop) on the timeline, walking back from the end of the last stage."""
    windows = []
    for name, seconds in reversed(stages):
        windows.append((name, end - seconds, end))
        end -= seconds
    return list(reversed(windows))


def run_etl(
    data_dir: Path, output_dir: Path, *, redis_url: str, key_prefix: str, log_path: Path
) -> dict[str, Any]:
    """`etl-job run` on data_dir into output_dir, publishing to the given Redis: its wall time,
    peak memory, and each stage's seconds and peak (the samples inside its window)."""
    script = Path(sys.executable).parent / "etl-job"
    env = {
        "DATA_DIR": str(data_dir),
        "OUTPUT_DIR": str(output_dir),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": key_prefix,
    }
    args = [str(script) if script.exists() else "etl-job", "run"]
    cwd = Path(__file__).resolve().parents[3]
    measured = run_measured(args, env={**env, "PYTHONUNBUFFERED": "1"}, cwd=cwd, log_path=log_path)
    result: dict[str, Any] = {
        "command": " ".join(f"{k}={v}" for k, v in env.items()) + " etl-job run",
        "returncode": measured.returncode,
        "seconds": measured.seconds,
        "peak_rss": measured.peak_rss,
        "stages": [],
        "manifest": {},
        "output_tail": "\n".join(measured.output.strip().splitlines()[-15:]),
    }
    manifest_path = output_dir / CURRENT_LINK / MANIFEST_FILE
    if measured.returncode != 0 or not manifest_path.is_file():
        return result
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    result["manifest"] = {key: manifest[key] for key in MANIFEST_KEYS if key in manifest}
    # The manifest is written right after the last stage: its mtime anchors the windows.
    end = measured.seconds - (measured.ended_at - manifest_path.stat().st_mtime)
    stages = ordered_stages(manifest.get("stage_seconds", {}))
    for name, start, stop in stage_windows(stages, end=end):
        inside = [rss for t, rss in measured.timeline if start <= t <= stop]
        peak = max(inside) if inside else None
        result["stages"].append({"name": name, "seconds": dict(stages)[name], "peak_rss": peak})
    return result
