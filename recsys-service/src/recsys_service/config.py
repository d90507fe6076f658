"""The recsys service's settings (docs/configuration.md describes each): where Redis is, which
key prefix, how long to wait for it."""

from contracts.guard import GuardSettings
from pydantic import Field


class Settings(GuardSettings):
    """Read from the environment; a missing REDIS_URL stops start-up."""

    redis_url: str = Field(min_length=1)
    redis_key_prefix: str = Field(default="recs", min_length=1, pattern=r"^[^{}]+$")
    redis_cluster: bool = False
    # Bounds one request's whole Redis exchange (connect, send, read, retry): past it, a 503.
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=30)
    redis_max_connections: int = Field(default=50, ge=1)
    # Idle connections are PINGed before reuse after this long: a restarted Redis costs a
    # spare round trip, not a failed request.
    redis_health_check_seconds: int = Field(default=10, ge=0)
