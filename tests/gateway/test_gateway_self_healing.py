"""Redis comes back empty: recsys and the gateway say why in words; `etl-job publish` heals it.

Real processes: `etl-job` on the sample, recsys-service over the tests' Redis, the gateway
in-process in front of it.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import redis
from contracts.redis_layout import RedisLayout
from contracts.schema import CATALOG_FILE, NEIGHBOURS_FILE

ETL = Path(sys.executable).with_name("etl-job")
ETL_SETTINGS = ("DATA_DIR", "OUTPUT_DIR", "REDIS_URL", "REDIS_KEY_PREFIX", "REDIS_CLUSTER")
CAUSE = "No model is published in Redis"
REMEDY = "run `etl-job publish`"


def _etl(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ETL_SETTINGS}
    return subprocess.run([str(ETL), command], env={**clean, **env}, capture_output=True,
                          text=True, timeout=300, check=False)


async def test_an_emptied_redis_is_explained_and_healed_by_publish(
        gateway, start_service, dead_url: str, sample_data_dir: Path, tmp_path: Path,
        redis_server: Any) -> None:
    prefix = f"heal-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    env = {"DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(out),
           "REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}
    assert _etl(env, "run").returncode == 0
    # A movie with neighbours, by its catalog title.
    movie_id = pl.read_parquet(out / "current" / NEIGHBOURS_FILE)["movie_id"][0]
    catalog = pl.read_parquet(out / "current" / CATALOG_FILE)
    title = catalog.filter(pl.col("id") == movie_id)["title"][0]
    recsys = start_service("recsys_service.main:create_app",
                           {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    direct = httpx.AsyncClient(base_url=recsys.url)
    assert (await direct.get("/readyz")).status_code == 200

    client = redis.Redis.from_url(redis_server.url)
    client.unlink(*client.scan_iter(match=RedisLayout(prefix).match_all))  # restarted empty
    client.close()

    ready = await direct.get("/readyz")
    assert ready.status_code == 503
    assert CAUSE in ready.json()["detail"]
    assert REMEDY in ready.json()["detail"]
    async with gateway(catalog=dead_url, recsys=recsys.url) as api:
        down = await api.get("/get_recommendation", params={"titulo": title})
        assert down.status_code == 503
        assert down.json()["detail"].startswith("The recsys service is unavailable: ")
        assert CAUSE in down.json()["detail"]
        assert REMEDY in down.json()["detail"]

        published = _etl(env, "publish")
        assert published.returncode == 0, published.stderr
        assert (await direct.get("/readyz")).status_code == 200
        healed = await api.get("/get_recommendation", params={"titulo": title})
        assert healed.status_code == 200
        assert len(healed.json()) >= 1
    await direct.aclose()
