"""Settings of the ETL job, read from the environment."""

from pathlib import Path

from contracts.settings import BaseServiceSettings
from pydantic import Field


class Settings(BaseServiceSettings):
    """DATA_DIR and OUTPUT_DIR are required; KEEP_RUNS old runs stay on disk for rollback."""

    data_dir: Path
    output_dir: Path
    keep_runs: int = Field(default=3, ge=1)
