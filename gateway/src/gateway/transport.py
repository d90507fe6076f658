"""httpx's transport over aiohttp's connection pool: bodies read whole, failures named by type.

It replaces httpx-aiohttp's transport, which maps every aiohttp connection error, a refused
connection included, to `httpx.ConnectTimeout` (its exception map resolves the
ClientConnectionError/ClientConnectorError pair to the former), so a caller could only tell
"not there" from "too slow" by the clock. Here each aiohttp failure becomes the httpx error
that names it, and the body is read in one call instead of through a chunk iterator.

Per call it does no more than the httpx API needs: the URL httpx already encoded goes to aiohttp
as encoded (no second parse and quoting), the aiohttp timeout of each (connect, read) pair is
made once, and the answer is an `httpx.Response` over the bytes read (`stream=`): built with
`content=` httpx re-encodes the body and merges a Content-Length header, ~15 µs a call.
"""

import aiohttp
import httpx
import yarl

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
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        """Made on first use: an aiohttp session belongs to the running event loop."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections,
                                             keepalive_timeout=self._keepalive_expiry)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        """httpx's connect and read timeouts as aiohttp's, one object per pair."""
        timeout = request.extensions.get("timeout", {})
        key = (timeout.get("connect"), timeout.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            found = self._timeouts[key] = aiohttp.ClientTimeout(sock_connect=key[0],
                                                                sock_read=key[1])
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        try:
            async with self.session.request(
                request.method, yarl.URL(str(request.url), encoded=True),
                headers=request.headers, data=content or None, allow_redirects=False,
                timeout=self._timeout(request),
            ) as answer:
                body = await answer.read()
        except aiohttp.ClientError as error:
            raise _as_httpx(error, request) from error
        return httpx.Response(answer.status, headers=answer.raw_headers,
                              stream=httpx.ByteStream(body), request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
