"""httpx's transport over aiohttp's connection pool: bodies read whole, failures named by type.

It replaces httpx-aiohttp's transport, which maps every aiohttp connection error, a refused
connection included, to `httpx.ConnectTimeout` (its exception map resolves the
ClientConnectionError/ClientConnectorError pair to the former), so a caller could only tell
"not there" from "too slow" by the clock. Here each aiohttp failure becomes the httpx error
that names it, and the body is read in one call instead of through a chunk iterator.
"""

import aiohttp
import httpx

# Most specific first: the first matching aiohttp class names the httpx error.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unknown host
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientError, httpx.NetworkError),
)


def _as_httpx(error: Exception, request: httpx.Request) -> httpx.TransportError:
    kind = next(target for source, target in _ERRORS if isinstance(error, source))
    return kind(f"{type(error).__name__}: {error}", request=request)


class AiohttpPoolTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (its pooled, kept-alive connections) behind the httpx API."""

    def __init__(self, *, max_connections: int, keepalive_expiry: float) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Made on first use: an aiohttp session belongs to the running event loop."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections,
                                             keepalive_timeout=self._keepalive_expiry)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        try:
            async with self.session.request(
                request.method, str(request.url), headers=request.headers,
                data=request.content or None, allow_redirects=False,
                timeout=aiohttp.ClientTimeout(sock_connect=timeout.get("connect"),
                                              sock_read=timeout.get("read")),
            ) as answer:
                body = await answer.read()
        except aiohttp.ClientError as error:
            raise _as_httpx(error, request) from error
        return httpx.Response(answer.status, headers=answer.raw_headers, content=body,
                              request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
