"""The catalog service follows new ETL runs: `current` switches, the new catalog is served."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from catalog_service.config import Settings
from catalog_service.main import create_app
from etl_job.pipeline import build_catalog
from testkit.apps import AppClient
from testkit.ticks import Ticks


async def ready_version(client: httpx.AsyncClient) -> str:
    return (await client.get("/readyz")).json()["data_version"]


@pytest.fixture
def ticks() -> Ticks:
    """The follower's clock: each `await ticks.step()` is one check for a new run."""
    return Ticks()


@pytest.fixture
async def client(sample_data_dir: Path, tmp_path: Path, app_client: AppClient,
                 ticks: Ticks) -> AsyncIterator[httpx.AsyncClient]:
    """The app over OUTPUT_DIR/current of a first sample run, following new runs on `ticks`."""
    build_catalog(data_dir=sample_data_dir, output_dir=tmp_path)
    settings = Settings(catalog_path=tmp_path / "current" / "catalog.parquet",
                        catalog_reload_seconds=30)
    app = create_app(settings, reload_wait=ticks)
    async with app_client(app, base_url="http://catalog") as client:
        yield client


async def test_a_new_run_is_loaded_without_a_restart(client: httpx.AsyncClient, ticks: Ticks,
                                                     sample_data_dir: Path,
                                                     tmp_path: Path) -> None:
    first = (tmp_path / "current").resolve().name
    assert await ready_version(client) == first
    await ticks.step()  # nothing new: the same run stays
    assert await ready_version(client) == first
    second = build_catalog(data_dir=sample_data_dir, output_dir=tmp_path)
    assert await ready_version(client) == first  # not before the next check
    await ticks.step()
    assert await ready_version(client) == second.name
    assert ticks.waits == [30, 30, 30]  # it waits CATALOG_RELOAD_SECONDS between checks
    answer = await client.get("/v1/count-platform", params={"platform": "netflix"})
    assert answer.headers["x-data-version"] == second.name
    assert answer.json() == {"count": 4}


async def test_a_broken_new_run_leaves_the_old_catalog_served(client: httpx.AsyncClient,
                                                              ticks: Ticks,
                                                              sample_data_dir: Path,
                                                              tmp_path: Path) -> None:
    first = (tmp_path / "current").resolve().name
    broken = tmp_path / "runs" / "broken"
    broken.mkdir()
    (broken / "catalog.parquet").write_bytes(b"not parquet")
    link = tmp_path / "current.tmp"
    link.symlink_to(Path("runs") / "broken")
    os.replace(link, tmp_path / "current")
    await ticks.step()
    await ticks.step()  # and a check later, still the old one
    assert await ready_version(client) == first
    answer = await client.get("/v1/count-platform", params={"platform": "netflix"})
    assert answer.status_code == 200
    assert answer.headers["x-data-version"] == first
    # The follower survived the broken run: the next good one is still picked up.
    good = build_catalog(data_dir=sample_data_dir, output_dir=tmp_path)
    await ticks.step()
    assert await ready_version(client) == good.name
