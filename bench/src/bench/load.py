"""Closed-loop HTTP load with wrk: throughput, p50/p99 latency, errors, as one JSON line."""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# wrk calls request() for every request (so a route's URLs rotate), delay() before each one
# when pacing, and done() once at the end, which prints the figures as JSON.
_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
%(delay)s
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"non_2xx":%%d,"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run against one target at one concurrency."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers plus socket errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    return found


def lua_script(paths: list[str], delay_ms: float | None = None) -> str:
    quoted = ", ".join(json.dumps(path) for path in paths)
    delay = (f"delay = function() return math.random(0, {max(0, round(2 * delay_ms))}) end"
             if delay_ms else "")
    return _SCRIPT % {"paths": quoted, "delay": delay}


def parse_done_line(output: str, connections: int) -> LoadResult:
    line = next(raw for raw in reversed(output.strip().splitlines()) if raw.startswith("{"))
    data = json.loads(line)
    errors = sum(data[key] for key in ("non_2xx", "connect", "read", "write", "timeout"))
    return LoadResult(connections=connections, requests=data["requests"],
                      seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
                      p99_ms=data["p99_us"] / 1000, max_ms=data["max_us"] / 1000, errors=errors)


def run_wrk(base_url: str, paths: list[str], *, connections: int, seconds: float,
            delay_ms: float | None = None) -> LoadResult:
    """wrk -t1 (one load thread: the machine has two cores and the server needs them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(paths, delay_ms))
    try:
        done = subprocess.run(
            [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
             "-s", script.name, base_url],
            capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        Path(script.name).unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse_done_line(done.stdout, connections)
