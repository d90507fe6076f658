"""Where each service's CPU goes under load: CPU per request from the kernel, frames from py-spy.

py-spy (a PyPI package shipping its binary) samples a running process from outside; it needs
ptrace rights (root, or kernel.yama.ptrace_scope 0). Without it the CPU figures are still
taken and the frame tables say why they are missing.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")
SAMPLES_PER_SECOND = 200
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def pyspy_binary() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else None


@dataclass
class CpuUse:
    """CPU seconds one process spent between two readings."""

    process: psutil.Process
    start: float = 0.0
    seconds: float = 0.0

    def begin(self) -> None:
        times = self.process.cpu_times()
        self.start = times.user + times.system

    def end(self) -> None:
        times = self.process.cpu_times()
        self.seconds = times.user + times.system - self.start


def package(file: str) -> str:
    """The top-level package of a frame's file ('httpx/_client.py' -> httpx), as py-spy names it."""
    return file.split("/", 1)[0] if "/" in file else file


@dataclass
class Profile:
    """A py-spy collapsed-stack recording, reduced to shares of the busy samples."""

    samples: int = 0
    self_frames: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)  # self samples by package

    @classmethod
    def parse(cls, text: str) -> "Profile":
        profile = cls()
        for line in text.splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [frame for frame in stack.split(";") if frame]
            # The first frame names the thread ("process 12:\"MainThread\"") with --threads;
            # without it every frame is code.
            parsed = [_FRAME.match(frame) for frame in frames]
            code = [m for m in parsed if m is not None]
            if not code:
                continue
            profile.samples += count
            leaf = code[-1]
            profile.self_frames[f"{leaf['function']} ({package(leaf['file'])})"] += count
            profile.packages[package(leaf["file"])] += count
        return profile

    def top(self, counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, count / self.samples) for name, count in counter.most_common(n)]


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Start py-spy on a process for `seconds`; None when py-spy is not installed."""
    binary = pyspy_binary()
    if binary is None:
        return None
    return subprocess.Popen(
        [binary, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
         "--rate", str(SAMPLES_PER_SECOND), "--format", "raw", "--nonblocking", "--gil",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[bytes] | None, out: Path) -> Profile | str:
    """The parsed profile, or the sentence saying why there is none."""
    if process is None:
        return "py-spy is not installed"
    _, stderr = process.communicate(timeout=120)
    if process.returncode != 0 or not out.is_file():
        reason = stderr.decode(errors="replace").strip().splitlines()
        return f"py-spy failed: {reason[-1] if reason else process.returncode}"
    return Profile.parse(out.read_text(encoding="utf-8", errors="replace"))


@dataclass
class ServiceCost:
    """One service under one load: cores busy, CPU per answered request, where it went."""

    name: str
    cpu_seconds: float
    profile: Profile | str

    def cores(self, seconds: float) -> float:
        return self.cpu_seconds / seconds if seconds else 0.0

    def ms_per_request(self, requests: int) -> float:
        return 1000 * self.cpu_seconds / requests if requests else 0.0


def profiled(pids: dict[str, int], seconds: float, work_dir: Path,
             load: Callable[[], T]) -> tuple[T, list[ServiceCost]]:
    """Run `load` while reading each service's CPU time and recording it with py-spy."""
    work_dir.mkdir(parents=True, exist_ok=True)
    uses = {name: CpuUse(psutil.Process(pid)) for name, pid in pids.items()}
    outs = {name: work_dir / f"{name}.txt" for name in pids}
    for out in outs.values():
        out.unlink(missing_ok=True)
    # py-spy starts a little after the load and stops a little before it ends, so its
    # samples are all under load.
    spies = {name: record(pid, seconds - 1, outs[name]) for name, pid in pids.items()}
    for use in uses.values():
        use.begin()
    result = load()
    for use in uses.values():
        use.end()
    costs = [ServiceCost(name, uses[name].seconds, finish(spies[name], outs[name]))
             for name in pids]
    return result, costs
