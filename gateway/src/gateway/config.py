"""The gateway's settings: where the internal services live and how long to wait for them."""

from contracts.guard import GuardSettings
from pydantic import AnyHttpUrl, Field


class Settings(GuardSettings):
    """Read from the environment; a missing service URL stops start-up."""

    catalog_service_url: AnyHttpUrl
    # The gateway waits on two hops of up to downstream_timeout_seconds: more room than the
    # internal services before it sheds (GuardSettings has the rest of the guard).
    max_in_flight: int = Field(default=256, ge=1)
    recsys_service_url: AnyHttpUrl
    # One bound for every downstream call: connect, send, wait and read all fit inside it,
    # so a caller gets a 503 no later than this many seconds after the gateway asked.
    downstream_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # Pooled connections per downstream; each stays open for reuse until the expiry below.
    downstream_max_connections: int = Field(default=100, ge=1)
    downstream_keepalive_expiry_seconds: float = Field(default=30.0, gt=0)
    # Answers are cached per data version (gateway.cache) for at most this long, which bounds
    # how late a new ETL run or model is noticed; 0 turns the cache off.
    downstream_cache_seconds: float = Field(default=2.0, ge=0, le=3600)
    # Answers kept at most (both downstreams together): a title record is a few KB kept, so
    # this bounds the cache at some tens of MB whatever the traffic.
    downstream_cache_entries: int = Field(default=4096, ge=1)
