"""The settings base every part derives its one `Settings` class from."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class BaseServiceSettings(BaseSettings):
    """Environment-driven settings; a required field without a default stops start-up."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    log_level: str = "info"
