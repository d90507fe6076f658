"""Downstream answers cached per data version, so repeated questions skip the second hop.

The catalog and recsys services name the data version of every answer in `X-Data-Version`
(the ETL run, the published model). An answer is kept only with its version; the first answer
that names another version (a new ETL run, a new model) drops everything kept, and nothing is
served older than `ttl` seconds, which bounds how long a new version can go unnoticed. Answers
without the header (an older or a stand-in service) are never cached.
"""

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    expires: float
    value: T


class AnswerCache(Generic[T]):
    """At most `max_entries` answers of one downstream, least recently used dropped first."""

    def __init__(self, *, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.version: str | None = None
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> T | None:
        """The kept answer for `key`, or None when there is none or it is too old."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.value

    def put(self, key: str, value: T, *, version: str | None) -> None:
        """Keep an answer of `version`; a version other than the kept one drops all kept."""
        if not version or self.ttl <= 0:
            return
        if version != self.version:
            self._entries.clear()
            self.version = version
        self._entries[key] = _Entry(time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
