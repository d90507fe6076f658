"""An HTTP stand-in for a downstream service: scripted answers per path, every request recorded."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from contracts.observability import DATA_VERSION_HEADER, REQUEST_ID_HEADER
from contracts.web import UNKNOWN_ROUTE as UNKNOWN_ROUTE_CODE

Answer = tuple[int, Any]
# A fixed answer, or one worked out from the query string ({"k": ["5"]}).
Route = Answer | Callable[[dict[str, list[str]]], Answer]
# What a service answers for a path no route serves (contracts.web).
UNKNOWN_ROUTE: Answer = (404, {"code": UNKNOWN_ROUTE_CODE, "detail": "No such route."})


class StandIn:
    """A threaded HTTP server on a free port answering GETs and POSTs from `routes` (path ->
    answer; a POST's body is read and not looked at).

    A str body is sent as is, anything else as JSON. `requests` holds every path asked for (with
    its query string), `request_ids` the X-Request-ID each came with; X-Data-Version is sent
    when `version` is set.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, version: str | None = None,
                 missing: Answer = UNKNOWN_ROUTE) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.version = version
        self.missing = missing
        self.requests: list[str] = []
        self.request_ids: list[str | None] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: stop() waits for the loop to notice (the default 0.5 s per server adds
        # up over the gateway tests).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, status: int, body: Any) -> None:
        """Answer GET `path` (any query) with `status` and `body` from now on."""
        self.routes[path] = (status, body)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "StandIn":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def _respond(self, path: str, request_id: str | None) -> tuple[int, bytes]:
        parts = urlsplit(path)
        self.requests.append(path)
        self.request_ids.append(request_id)
        route = self.routes.get(parts.path, self.missing)
        status, body = route(parse_qs(parts.query)) if callable(route) else route
        return status, body.encode() if isinstance(body, str) else json.dumps(body).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, payload = stand_in._respond(self.path,
                                                    self.headers.get(REQUEST_ID_HEADER))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if stand_in.version is not None:
                    self.send_header(DATA_VERSION_HEADER, stand_in.version)
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        return Handler
