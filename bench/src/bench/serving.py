"""Serving under load: the stack as `make up` runs it, random paths, wrk, CPU per request.

Each target: the bare app right before it (its ratio), a closed loop (its saturation rate), then
a run paced at half that rate (its latency), each on a fresh part of a shuffled path list.
"""

import json
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
from catalog_service.index import CatalogIndex
from contracts.domain import SCORE_MAX, SCORE_MIN, ContentKind, Platform
from fastapi import FastAPI

from harness import Service

MIX = "mix"
CACHED_MIX = "mix, cached (a few hundred paths, repeated)"
TASTE = "POST /recommendations (5 liked films)"
DRAWN = ("get_score_count", "get_actor", "get_max_duration", "prod_per_county", "get_contents")
RANDOM_ROUTES = (*DRAWN, "get_recommendation", "titles/{id}")
# Keyed by a title or id each at most once per list, so no cache can answer them.
TITLE_KEYED = ("get_recommendation", "titles/{id}", TASTE)
INTERNAL = ("catalog /v1/score-count", "catalog /v1/titles/{id}", "recsys /v1/neighbours/{id}")
PATHS_PER_ROUTE = 20_000
CACHED_PER_ROUTE = 48
LIKED_PER_TASTE = 5

# wrk calls request() for every request, delay() before each one when paced, done() at the end.
_LUA = """
local paths = {%(paths)s}
local bodies = {%(bodies)s}
local json = {["Content-Type"] = "application/json"}
local i = 0
request = function()
  i = i %% #paths + 1
  if bodies[i] then return wrk.format("POST", paths[i], json, bodies[i]) end
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


def bare_app() -> FastAPI:
    """The ratio baseline (`bench.serving:bare_app`): GET / answers a constant from memory."""
    app = FastAPI(title="bench baseline")

    @app.get("/")
    async def constant() -> int:
        return 6131

    return app


@dataclass(frozen=True)
class Walk:
    """What one target's load sends: paths, and a JSON body per path for POST targets."""

    paths: list[str]
    bodies: list[str] | None = None

    def part(self, start: float, stop: float) -> "Walk":
        low, high = int(len(self.paths) * start), int(len(self.paths) * stop)
        high = max(high, low + 1)  # a list too short to split is walked whole
        return Walk(self.paths[low:high], self.bodies[low:high] if self.bodies else None)


def lua_script(walk: Walk, delay_ms: float | None = None) -> str:
    delay = ""
    if delay_ms:
        delay = f"delay = function() return math.random(0, {max(0, round(2 * delay_ms))}) end"
    return _LUA % {
        "paths": ", ".join(json.dumps(path) for path in walk.paths),
        "bodies": ", ".join(json.dumps(body) for body in walk.bodies or []),
        "delay": delay,
    }


def parse_done_line(output: str, connections: int) -> dict[str, Any]:
    """wrk's JSON line as one run's figures, errors being non-2xx answers plus socket errors."""
    line = next(raw for raw in reversed(output.strip().splitlines()) if raw.startswith("{"))
    data = json.loads(line)
    seconds = data["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": data["requests"],
        "seconds": seconds,
        "rps": data["requests"] / seconds if seconds else 0.0,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": sum(data[key] for key in ("non_2xx", "connect", "read", "write", "timeout")),
    }


def run_wrk(
    url: str, walk: Walk, *, connections: int, seconds: float, delay_ms: float | None = None
) -> dict[str, Any]:
    """wrk -t1: one load thread, as the machine has two cores and the services need them."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(walk, delay_ms))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    try:
        args = [*command, "-s", script.name, url]
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(script.name).unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse_done_line(done.stdout, connections)


@contextmanager
def running_stack(
    *, catalog_path: Path, redis_url: str, key_prefix: str, logs: Path
) -> Iterator[dict[str, Service]]:
    """Catalog, recsys, gateway and the bare app, started as `make up` starts services."""
    catalog_env = {"CATALOG_PATH": str(catalog_path)}
    recsys_env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix}
    catalog = Service(
        "catalog-service", "catalog_service.main:create_app", catalog_env, logs / "catalog.log"
    )
    recsys = Service(
        "recsys-service", "recsys_service.main:create_app", recsys_env, logs / "recsys.log"
    )
    # One load client would spend the per-client rate limit at once: the bench runs without it.
    urls = {"CATALOG_SERVICE_URL": catalog.url, "RECSYS_SERVICE_URL": recsys.url}
    gateway = Service(
        "gateway", "gateway.main:create_app", {**urls, "RATE_LIMIT": ""}, logs / "gateway.log"
    )
    bare = Service("bare", "bench.serving:bare_app", {}, logs / "bare.log", ready_path="/")
    with ExitStack() as stack:
        for service in (catalog, recsys, gateway, bare):
            stack.callback(service.stop)
            service.start(timeout=120)
        yield {service.name: service for service in (catalog, recsys, gateway, bare)}


def random_walks(index: CatalogIndex, *, count: int, seed: int = 11) -> dict[str, Walk]:
    """Per gateway route `count` paths over its whole domain in random order, title-keyed ones
    each title or id at most once; the mix takes the routes in turn; the taste route likes
    LIKED_PER_TASTE random films per request."""
    rng = random.Random(seed)
    years = sorted({year for _, year in index.movie_scores})
    platforms = [p.value for p in Platform]
    cast_keys = sorted(index.top_cast)
    durations = sorted(index.longest_movie, key=repr)
    countries, ratings = sorted(index.countries), sorted(index.titles_per_rating)
    titles = sorted({entry.title for entry in index.search_entries})
    ids = sorted(index.records)
    movie_ids = sorted(entry.id for entry in index.search_entries)
    rng.shuffle(titles)
    rng.shuffle(ids)

    def draw(route: str) -> dict[str, object]:
        """One question for a route whose keys are drawn with replacement."""
        if route == "get_score_count":
            scored = rng.randint(SCORE_MIN, SCORE_MAX)
            return {"platform": rng.choice(platforms), "scored": scored, "year": rng.choice(years)}
        if route == "get_actor":
            return dict(zip(("platform", "year"), rng.choice(cast_keys), strict=True))
        if route == "get_max_duration":
            given = zip(("year", "platform", "duration_type"), rng.choice(durations), strict=True)
            return {key: value for key, value in given if value is not None}
        if route == "prod_per_county":
            kind = rng.choice(list(ContentKind)).value
            return {"tipo": kind, "pais": rng.choice(countries), "anio": rng.choice(years)}
        return {"rating": rng.choice(ratings)}

    paths = {route: [f"/{route}?{urlencode(draw(route))}" for _ in range(count)] for route in DRAWN}
    paths["get_recommendation"] = [
        f"/get_recommendation?{urlencode({'titulo': t})}" for t in titles[:count]
    ]
    paths["titles/{id}"] = [f"/titles/{title_id}" for title_id in ids[:count]]
    walks = {route: Walk(paths[route]) for route in RANDOM_ROUTES}
    walks[MIX] = Walk(mixed(paths))
    walks[CACHED_MIX] = Walk(mixed({route: p[:CACHED_PER_ROUTE] for route, p in paths.items()}))
    liked = [rng.sample(movie_ids, min(LIKED_PER_TASTE, len(movie_ids))) for _ in range(count)]
    bodies = [json.dumps({"liked": [{"id": i} for i in films]}) for films in liked]
    walks[TASTE] = Walk(["/recommendations"] * len(bodies), bodies)
    # The internal services alone, on the same keys walked the other way round.
    scores = paths["get_score_count"][::-1]
    walks[INTERNAL[0]] = Walk([p.replace("/get_score_count", "/v1/score-count") for p in scores])
    walks[INTERNAL[1]] = Walk([f"/v1{path}" for path in paths["titles/{id}"][::-1]])
    rng.shuffle(movie_ids)
    walks[INTERNAL[2]] = Walk([f"/v1/neighbours/{m}?k=10" for m in movie_ids[:count]])
    return walks


def mixed(paths: dict[str, list[str]]) -> list[str]:
    """Every random route in turn, each from its own list, until the shortest list runs out."""
    longest = min(len(paths[route]) for route in RANDOM_ROUTES)
    return [paths[route][i] for i in range(longest) for route in RANDOM_ROUTES]


def measure_target(
    name: str, url: str, walk: Walk, *, stack: dict[str, Service], connections: int, seconds: float
) -> dict[str, Any]:
    """The bare app right before, a warm-up, the closed loop (with each service's CPU), then
    the run paced at half the closed loop's rate."""
    bare = run_wrk(stack["bare"].url, Walk(["/"]), connections=connections, seconds=seconds)
    run_wrk(url, walk.part(0, 0.1), connections=connections, seconds=1)
    processes = {n: psutil.Process(s.running_pid()) for n, s in stack.items() if n != "bare"}
    before = {service: sum(p.cpu_times()[:2]) for service, p in processes.items()}
    closed = run_wrk(url, walk.part(0.1, 0.6), connections=connections, seconds=seconds)
    answered = max(1, closed["requests"])
    cpu_ms = {
        n: 1000 * (sum(p.cpu_times()[:2]) - before[n]) / answered for n, p in processes.items()
    }
    # Each connection waits about connections / rate between requests (wrk's delay, jittered).
    target_rps = closed["rps"] / 2
    delay_ms = max(0.0, 1000 * connections / max(target_rps, 1e-9) - closed["p50_ms"] / 2)
    paced = run_wrk(
        url, walk.part(0.6, 1), connections=connections, seconds=seconds, delay_ms=delay_ms
    )
    runs = {"bare": bare, "closed": closed, "paced": paced, "paced_target_rps": target_rps}
    return {"name": name, **runs, "cpu_ms": cpu_ms}


def measure_serving(
    stack: dict[str, Service],
    index: CatalogIndex,
    *,
    connections: int,
    seconds: float,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Every gateway route, the mixes and the taste route, then each internal service alone."""
    walks = random_walks(index, count=PATHS_PER_ROUTE)
    groups = {
        "gateway": [(name, "gateway") for name in (*RANDOM_ROUTES, MIX, TASTE, CACHED_MIX)],
        "internal": [(name, name.split()[0] + "-service") for name in INTERNAL],
    }
    found: dict[str, Any] = {"connections": connections, "seconds": seconds, "repeated": []}
    for group, targets in groups.items():
        found[group] = []
        for name, service in targets:
            url = stack[service].url
            run = measure_target(
                name, url, walks[name], stack=stack, connections=connections, seconds=seconds
            )
            found[group].append(run)
            closed, paced = run["closed"], run["paced"]
            ratio, errors = closed["rps"] / run["bare"]["rps"], closed["errors"] + paced["errors"]
            say(
                f"  {name:42} {closed['rps']:7.0f} req/s ({ratio:.2f}x bare), p99 "
                f"{closed['p99_ms']:6.1f} ms; paced {paced['rps']:6.0f} req/s p99 "
                f"{paced['p99_ms']:6.1f} ms; errors {errors}"
            )
            walked = len(walks[name].paths) // 2
            if name in TITLE_KEYED and max(closed["requests"], paced["requests"]) > walked:
                found["repeated"].append(f"{name}: more requests than its {walked:,} keys")
    return found
