"""The settings base every part derives its one `Settings` class from."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BaseServiceSettings(BaseSettings):
    """Environment-driven settings; a required field without a default stops start-up."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    log_level: str = "info"
    # Internal services log no line per request (the gateway's access line has the request
    # id); they log errors, and requests slower than this, as warnings.
    slow_request_seconds: float = Field(default=0.5, gt=0)
