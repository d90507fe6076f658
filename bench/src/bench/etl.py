"""ETL at full scale: `etl-job run` as a process, its stages from the manifest, its memory."""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.schema import CURRENT_LINK, MANIFEST_FILE

from bench.procs import BIN, Measured, run_measured

# The order the stages run in (the manifest's dict is not in that order once the model step
# adds its own); a stage not listed here is taken to run last.
STAGE_ORDER = ("catalog", "ratings", "write", "evaluate", "train", "publish", "checksums")


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    peak_rss: int | None  # bytes: highest sampled RSS inside the stage's window


@dataclass(frozen=True)
class EtlResult:
    command: str
    returncode: int
    seconds: float
    peak_rss: int
    stages: list[Stage]
    manifest: dict[str, Any] = field(default_factory=dict)
    output_tail: str = ""

    @property
    def published(self) -> bool:
        return "redis" in self.manifest


def ordered_stages(stage_seconds: dict[str, float]) -> list[tuple[str, float]]:
    known = [(name, stage_seconds[name]) for name in STAGE_ORDER if name in stage_seconds]
    return known + [(n, s) for n, s in stage_seconds.items() if n not in STAGE_ORDER]


def stage_windows(stages: list[tuple[str, float]], *, end: float) -> list[tuple[str, float, float]]:
    """(name, start, stop) on the timeline, walking back from the end of the last stage."""
    windows = []
    stop = end
    for name, seconds in reversed(stages):
        windows.append((name, stop - seconds, stop))
        stop -= seconds
    return list(reversed(windows))


def stage_peaks(measured: Measured, stages: list[tuple[str, float]],
                manifest_path: Path) -> list[Stage]:
    """Each stage's peak RSS from the sampled timeline.

    The manifest is written right after the last stage, so its mtime anchors the windows.
    """
    end = measured.seconds - (measured.ended_at - manifest_path.stat().st_mtime)
    result = []
    for name, start, stop in stage_windows(stages, end=end):
        inside = [rss for t, rss in measured.timeline if start <= t <= stop]
        result.append(Stage(name, dict(stages)[name], max(inside) if inside else None))
    return result


def run_etl(*, data_dir: Path, output_dir: Path, redis_url: str, key_prefix: str,
            repo: Path, log_path: Path) -> EtlResult:
    """`etl-job run` on data_dir into its own output_dir, publishing to the given Redis."""
    script = BIN / "etl-job"
    args = [str(script) if script.exists() else "etl-job", "run"]
    env = {"DATA_DIR": str(data_dir), "OUTPUT_DIR": str(output_dir), "REDIS_URL": redis_url,
           "REDIS_KEY_PREFIX": key_prefix, "PYTHONUNBUFFERED": "1"}
    command = " ".join(f"{k}={v}" for k, v in env.items() if k != "PYTHONUNBUFFERED")
    command += " etl-job run"
    measured = run_measured(args, env={**os.environ, **env}, cwd=repo, log_path=log_path)
    tail = "\n".join(measured.output.strip().splitlines()[-15:])
    manifest_path = output_dir / CURRENT_LINK / MANIFEST_FILE
    if measured.returncode != 0 or not manifest_path.is_file():
        return EtlResult(command, measured.returncode, measured.seconds, measured.peak_rss, [],
                         output_tail=tail)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    stages = ordered_stages(manifest.get("stage_seconds", {}))
    return EtlResult(command, measured.returncode, measured.seconds, measured.peak_rss,
                     stage_peaks(measured, stages, manifest_path), manifest, tail)
