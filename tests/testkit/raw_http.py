"""Raw bytes to a server and its raw answer, for what an HTTP client library will not send."""

import socket
import time


def raw_exchange(url: str, payload: bytes, *, wait: float = 10.0) -> tuple[bytes, float]:
    """Send raw bytes (stopping if the server closes), return what it answered and when."""
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        try:
            for at in range(0, len(payload), 65536):
                sock.sendall(payload[at:at + 65536])
        except OSError:
            pass  # refused mid-way: read the answer it sent before closing
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    return answer, time.perf_counter() - started


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
