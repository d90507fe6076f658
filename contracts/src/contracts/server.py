"""Bounds on what a client may send before the app sees a request: `uvicorn --http` this class.

uvicorn's httptools protocol (the fast one) buffers a request head of any size and waits for
it forever: one 50 MB header was accepted, and a client that never finishes its headers holds
its connection and memory. `BoundedHttpToolsProtocol` keeps httptools' speed and refuses, with
the project's error shape and `Connection: close`:
- a head (request line and headers) over HTTP_MAX_HEAD_BYTES -> 431;
- more than HTTP_MAX_HEADERS header fields -> 431;
- a URL over HTTP_MAX_URL_BYTES -> 414;
- a head not complete HTTP_HEADER_TIMEOUT_SECONDS after the connection opened or the request
  began -> 408 (slowloris).
Run a service with `uvicorn --factory <app> --http contracts.server:BoundedHttpToolsProtocol`.
In a cluster the ingress enforces the same bounds first (k8s/32-gateway.yaml); these hold for
every process whatever is in front of it.
"""

import functools
import json
import logging
from asyncio import TimerHandle, Transport
from typing import Any

import httptools
from pydantic import Field
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from contracts.settings import BaseServiceSettings


class HttpLimits(BaseServiceSettings):
    """Per-request bounds of the HTTP server, the same environment names in every service."""

    http_max_head_bytes: int = Field(default=32 * 1024, ge=1024)
    http_max_headers: int = Field(default=100, ge=8)
    http_max_url_bytes: int = Field(default=8 * 1024, ge=256)
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)


@functools.cache
def http_limits() -> HttpLimits:
    """Read once per process: the protocol object is built per connection."""
    return HttpLimits()


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounds on the request head (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn formats the client address and path of every answer for its access line
        # whenever any handler exists up the logger tree (5-7% of an internal request in
        # py-spy), even with `uvicorn.access` disabled, as contracts.observability leaves it.
        self.access_log = self.access_log and self.access_logger.isEnabledFor(logging.INFO)
        self.limits = http_limits()
        self._reading_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._head_timer: TimerHandle | None = None

    # Connection life: the head timer runs from the connection's start and each request's.
    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        # The parent's data_received, with one more case: a bound broken inside a parser
        # callback surfaces as HttpParserCallbackError whose context is our _Refused.
        try:
            self._unset_keepalive_if_required()
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _Refused):
                self._refuse(exc.__context__)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._reading_head and self._head_bytes > self.limits.http_max_head_bytes:
            self._refuse(_Refused(431, "headers_too_large",
                                  f"The request's headers exceed "
                                  f"{self.limits.http_max_head_bytes} bytes."))

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.http_max_url_bytes:
            raise _Refused(414, "url_too_long",
                           f"The URL exceeds {self.limits.http_max_url_bytes} bytes.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.http_max_headers:
            raise _Refused(431, "headers_too_many",
                           f"The request has more than {self.limits.http_max_headers} headers.")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # What arrives next is the next request's head.
        self._reading_head = True
        self._head_bytes = 0

    # Bounds
    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.http_header_timeout_seconds,
                                                    self._on_head_timeout)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        if self._reading_head and not self.transport.is_closing():
            seconds = f"{self.limits.http_header_timeout_seconds:g}"
            self._refuse(_Refused(408, "request_timeout",
                                  f"The request's headers did not arrive within {seconds} s."))

    def _refuse(self, refusal: _Refused) -> None:
        """Answer in the project's error shape, then close: the rest of the request is unread."""
        self._disarm_head_timer()
        self.logger.warning("refused a request: %s", refusal.detail)
        body = json.dumps({"code": refusal.code, "detail": refusal.detail}).encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (refusal.status, _REASONS[refusal.status])]
        for name, value in self.server_state.default_headers:
            head.append(b"%s: %s\r\n" % (name, value))
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\n"
                    b"connection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()
