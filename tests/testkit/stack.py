"""A stack of real processes (tests/reliability): what a test holds and how it reads metrics."""

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from harness import RedisServer, Service

TOKEN = "test-internal-token"
# Short enough that failure tests finish fast, long enough for a loaded 2-core machine.
DOWNSTREAM_TIMEOUT = 1.0


@dataclass
class Stack:
    redis: RedisServer
    catalog: Service
    recsys: Service
    gateway: Service

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.gateway.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def frozen(self, process: RedisServer | Service) -> Iterator[None]:
        """SIGSTOP the process for the block, SIGCONT after, whatever happens inside."""
        process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            process.send_signal(signal.SIGCONT)


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample over every series carrying these labels (0 if none)."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total
