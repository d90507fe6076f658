"""The recsys service's settings: where Redis is, which key prefix, how long to wait for it."""

from contracts.guard import GuardSettings
from pydantic import Field


class Settings(GuardSettings):
    """Read from the environment; a missing REDIS_URL stops start-up."""

    # redis://[user:password@]host:port/db, or rediss:// for TLS; redis-py parses both.
    redis_url: str = Field(min_length=1)
    redis_key_prefix: str = Field(default="recs", min_length=1, pattern=r"^[^{}]+$")
    # True: REDIS_URL names any one node of a Redis Cluster (redis-py discovers the others).
    redis_cluster: bool = False
    # Bounds one request's whole Redis exchange (connect, send, read, retry): past it, a 503.
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=30)
    redis_max_connections: int = Field(default=50, ge=1)
    # Idle pooled connections are PINGed before reuse after this long, so a restarted Redis
    # is noticed on a spare round trip rather than on a failed request.
    redis_health_check_seconds: int = Field(default=10, ge=0)
