"""What the web layer costs per route: requests per CPU second through a service's ASGI app.

In-process and closed-loop (one request at a time, no socket, no load generator): each app is
built by its own `create_app`, with every middleware, and the service function behind the
route answers a canned value, so the figure is the framework's share of a request (routing,
parameter parsing, dependencies, middleware, encoding) and nothing else. Run it on two
commits and compare: `python -m bench.route_cost`.
"""

import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import uvloop
from catalog_service import service as catalog_service
from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as catalog_app
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as gateway_app
from recsys_service import service as recsys_service
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as recsys_app
from starlette.types import ASGIApp, Message

from gateway import service as gateway_service

TOKEN = "route-cost"
NEIGHBOURS = b'{"movie_id":"ns42","neighbours":[]}'


async def _canned(value: Any, **_: Any) -> Any:
    return value


def _stub_services() -> None:
    """Every service function the measured routes call answers at once (no data, no Redis)."""
    catalog_service.count_scored_movies = lambda **_: 7
    recsys_service.neighbours_for_movie = (
        lambda **_: _canned(recsys_service.Answer(body=NEIGHBOURS, version="v1")))
    gateway_service.max_duration_title = (
        lambda **_: _canned("the irishman"))


async def _requests_per_second(app: ASGIApp, path: str, query: bytes, state: dict[str, Any],
                               *, seconds: float) -> float:
    scope_base = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                  "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                  "root_path": "", "query_string": query, "server": ("127.0.0.1", 8000),
                  "client": ("127.0.0.1", 50000),
                  "headers": [(b"host", b"bench"), (b"x-internal-token", TOKEN.encode())]}
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    # CPU time of this process, not wall time: the machine is shared, and another process
    # taking the core would otherwise count against the route.
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        await app({**scope_base, "state": dict(state)}, receive, send)
        count += 1
    if set(statuses) != {200}:
        raise SystemExit(f"{path}: statuses {sorted(set(statuses))}, not only 200")
    return count / (time.process_time() - cpu)


def _cases() -> list[tuple[str, Callable[[], ASGIApp], str, bytes, dict[str, Any]]]:
    index = SimpleNamespace(data_version="bench")
    store = SimpleNamespace()
    client = SimpleNamespace()
    return [
        ("catalog /v1/score-count",
         lambda: catalog_app(CatalogSettings(catalog_path="unused", internal_token=TOKEN,
                                             catalog_reload_seconds=0)),
         "/v1/score-count", b"platform=netflix&scored=85&year=2018",
         {"catalog": SimpleNamespace(index=index)}),
        ("recsys /v1/neighbours/{movie_id}",
         lambda: recsys_app(RecsysSettings(redis_url="redis://127.0.0.1:1",
                                           internal_token=TOKEN)),
         "/v1/neighbours/ns42", b"k=10", {"store": store}),
        ("gateway /get_max_duration",
         lambda: gateway_app(GatewaySettings(catalog_service_url="http://catalog",
                                             recsys_service_url="http://recsys",
                                             rate_limit="", docs_enabled=False)),
         "/get_max_duration", b"year=2018&platform=netflix&duration_type=min",
         {"catalog_client": client, "recsys_client": client}),
    ]


async def main(seconds: float = 2.0, repeats: int = 5) -> None:
    _stub_services()
    for name, make, path, query, state in _cases():
        app = make()
        await _requests_per_second(app, path, query, state, seconds=0.3)  # warm up
        runs = [await _requests_per_second(app, path, query, state, seconds=seconds)
                for _ in range(repeats)]
        # The services log their access lines on stderr (send it to /dev/null).
        print(f"{name}: median {statistics.median(runs):,.0f} req per CPU s "
              f"(runs {', '.join(f'{r:,.0f}' for r in runs)})")


if __name__ == "__main__":
    uvloop.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0))
    sys.exit(0)
