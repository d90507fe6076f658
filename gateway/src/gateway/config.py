"""The gateway's settings (docs/configuration.md describes each): where the internal services
live and how long to wait for them."""

from contracts.guard import GuardSettings
from limits import parse_many
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator


class Settings(GuardSettings):
    """Read from the environment; a missing service URL stops start-up."""

    catalog_service_url: AnyHttpUrl
    recsys_service_url: AnyHttpUrl
    # The guard's bounds: the gateway waits on two hops, and its one body (POST
    # /recommendations) fits well under 16 KB; a client gets a quarter of the slots.
    max_in_flight: int = Field(default=256, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=0)
    max_client_in_flight: int | None = Field(default=64, ge=1)
    # Bounds connect, send, wait and read of every downstream call together.
    downstream_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    downstream_max_connections: int = Field(default=100, ge=1)
    downstream_keepalive_expiry_seconds: float = Field(default=30.0, gt=0)
    # How late a new ETL run or model may be noticed; 0 turns the answer cache off.
    downstream_cache_seconds: float = Field(default=2.0, ge=0, le=3600)
    downstream_cache_entries: int = Field(default=4096, ge=1)
    docs_enabled: bool = True
    # When set, /metrics is served on this port only, not on the public one.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # `limits` notation, rules joined by ';' (each must admit a request); empty: no limit.
    rate_limit: str = "30/second;900/minute"
    rate_limit_title_cost: int = Field(default=1, ge=0)
    rate_limit_search_cost: int = Field(default=3, ge=0)
    rate_limit_redis_url: SecretStr | None = None
    # Set only behind a proxy that sets it (x-real-ip behind ingress-nginx); unset: the peer.
    rate_limit_client_header: str | None = None

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # a ValueError names what is wrong, at start-up
        return value.strip()
