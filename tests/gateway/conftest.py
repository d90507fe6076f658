"""Gateway test harness: the app in-process, real catalog processes, failure-mode stand-ins."""

import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from gateway.config import Settings
from gateway.main import create_app

# Answer tests allow for a busy machine; failure tests pass a short timeout of their own.
ANSWER_TIMEOUT = 10.0

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def gateway() -> GatewayFactory:
    """Factory: `async with gateway(catalog=url, recsys=url) as client:` the app in-process."""

    @asynccontextmanager
    async def open_gateway(*, catalog: str, recsys: str,
                           wait: float = ANSWER_TIMEOUT) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings(catalog_service_url=catalog, recsys_service_url=recsys,
                            downstream_timeout_seconds=wait)
        app = create_app(settings)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(manager.app),
                              base_url="http://gateway", timeout=60) as client,
        ):
            yield client

    return open_gateway


@pytest.fixture(scope="session")
def dead_url(unused_port: Callable[[], int]) -> str:
    """A port with nothing listening: connections are refused."""
    return f"http://127.0.0.1:{unused_port()}"


@pytest.fixture(scope="session")
def hanging_url() -> Iterator[str]:
    """A server that accepts connections, reads, and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)  # kept open, never written to

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    for connection in held:
        connection.close()


Handler = Callable[[dict[str, list[str]]], tuple[int, Any]]


@dataclass
class ScriptedServer:
    """An HTTP stand-in answering scripted bodies per path, recording what it was asked."""

    url: str
    routes: dict[str, Handler | tuple[int, Any]]
    requests: list[str] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)

    def answer(self, path: str, status: int, body: Any) -> None:
        """Answer `path` with `status` and `body` (a str is sent raw, anything else as JSON)."""
        self.routes[path] = (status, body)


@pytest.fixture
def scripted() -> Iterator[Callable[[], ScriptedServer]]:
    """Factory of stand-in servers; each stops at the end of the test."""
    servers: list[ThreadingHTTPServer] = []

    def start() -> ScriptedServer:
        script = ScriptedServer(url="", routes={})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                script.requests.append(self.path)
                script.request_ids.append(self.headers.get("X-Request-ID"))
                route = script.routes.get(parts.path, (404, {"detail": "Not Found"}))
                status, body = route(parse_qs(parts.query)) if callable(route) else route
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        script.url = f"http://127.0.0.1:{server.server_address[1]}"
        return script

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def catalog_sample(start_service: Callable[..., Any], sample_catalog_dir: Path) -> str:
    """The real catalog service, as a process, over the hand-written sample."""
    service = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(sample_catalog_dir / "catalog.parquet")})
    return service.url


@pytest.fixture(scope="session")
def catalog_real(start_service: Callable[..., Any], real_catalog_dir: Path) -> str:
    """The real catalog service, as a process, over the real dataset."""
    service = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(real_catalog_dir / "catalog.parquet")})
    return service.url
