"""The gateway's settings: where the internal services live and how long to wait for them."""

from contracts.guard import GuardSettings
from limits import parse_many
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator


class Settings(GuardSettings):
    """Read from the environment; a missing service URL stops start-up."""

    catalog_service_url: AnyHttpUrl
    # The gateway waits on two hops of up to downstream_timeout_seconds: more room than the
    # internal services before it sheds (GuardSettings has the rest of the guard).
    max_in_flight: int = Field(default=256, ge=1)
    # The one body the gateway takes (POST /recommendations: at most 20 titles of 200
    # characters) fits well under it; the guard reads no more than this of any body.
    max_body_bytes: int = Field(default=16_384, ge=0)
    # A quarter of them per client (named by rate_limit_client_header behind a proxy), so one
    # address cannot hold every slot; the internal services' one caller is the gateway.
    max_client_in_flight: int | None = Field(default=64, ge=1)
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
    # What the public listener shows beyond the API: /docs, /redoc and /openapi.json (on by
    # default for local use; off in the compose and k8s production setup).
    docs_enabled: bool = True
    # When set, /metrics is served on this port only (its own listener, for Prometheus inside
    # the cluster) and not on the public one.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Per-client rate limit of the public API (gateway.ratelimit), `limits` notation: several
    # rules joined by ';', each must admit a request. Empty: no limit.
    rate_limit: str = "30/second;900/minute"
    # What dearer requests spend of that limit beyond their 1 (gateway.ratelimit): each liked
    # title of a POST list past the first, and each fuzzy search for an unknown title's
    # suggestions (an unknown title cost ~2.5x a known one's CPU, mostly that search).
    rate_limit_title_cost: int = Field(default=1, ge=0)
    rate_limit_search_cost: int = Field(default=3, ge=0)
    # Counters in this Redis (shared by every replica) instead of the process' memory.
    rate_limit_redis_url: SecretStr | None = None
    # The header naming the client when a proxy is in front (x-real-ip behind ingress-nginx);
    # unset: the TCP peer. Never set it where clients reach the gateway directly.
    rate_limit_client_header: str | None = None

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # a ValueError names what is wrong, at start-up
        return value.strip()
