"""Settings of the catalog service, read from the environment."""

from pathlib import Path

from contracts.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    """CATALOG_PATH is required: the service has nothing to answer from without it."""

    # The ETL's catalog.parquet (a run directory holding it is accepted too); the
    # manifest.json beside it names the data version.
    catalog_path: Path
