"""Settings of the catalog service, read from the environment."""

from pathlib import Path

from contracts.guard import GuardSettings
from pydantic import Field


class Settings(GuardSettings):
    """CATALOG_PATH is required: the service has nothing to answer from without it."""

    # The ETL's catalog.parquet (a run directory holding it is accepted too); the
    # manifest.json beside it names the data version.
    catalog_path: Path
    # How often to look whether CATALOG_PATH now leads to another ETL run (the `current`
    # symlink switched); a new run is loaded off the event loop and swapped in. 0: never.
    catalog_reload_seconds: float = Field(default=30.0, ge=0)
    # Fuzzy-search answers kept for repeated questions (about 5 KB each: a few MB at most).
    search_cache_entries: int = Field(default=1024, ge=1)
