"""A Redis value a test expects to find: bytes, or the test fails naming what was missing."""

from contracts.redis_layout import Stored, as_bytes


def stored(value: Stored | None, what: str = "value") -> bytes:
    if value is None:
        raise AssertionError(f"expected a stored {what} in Redis, found none")
    return as_bytes(value)
