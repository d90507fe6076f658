"""The gateway's one answer cache: downstream answers per data version, on cachetools.TTLCache.

An answer is kept with the version its downstream named (`X-Data-Version`: the ETL run, the
model); once the downstream names another, the old answers are misses, and nothing is served
older than `ttl` seconds. Answers without the header are never kept.
"""

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

T = TypeVar("T")


class AnswerCache(Generic[T]):
    """At most `max_entries` answers, each for at most `ttl` seconds, least recently used out."""

    def __init__(
        self, *, ttl: float, max_entries: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._kept: TTLCache[tuple[str, Hashable], tuple[str, T]] = TTLCache(
            maxsize=max_entries, ttl=ttl, timer=timer
        )
        self.versions: dict[str, str] = {}  # downstream -> the newest version it named

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, downstream: str, key: Hashable) -> T | None:
        """The kept answer, or None when there is none, it is too old or of an old version."""
        kept = self._kept.get((downstream, key))
        if kept is None or kept[0] != self.versions.get(downstream):
            return None
        return kept[1]

    def put(self, downstream: str, key: Hashable, value: T, *, version: str | None) -> None:
        """Keep an answer of `version`; a new version makes every older answer a miss."""
        if not version or self.ttl <= 0:
            return
        self.versions[downstream] = version
        self._kept[(downstream, key)] = (version, value)
