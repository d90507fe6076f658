"""Redis Cluster: publish, switch, rollback, expiry and the recsys reads on a real 3-master cluster.

The cluster (tests/testkit/redis_cluster.py) is three `redis-server --cluster-enabled yes`
joined by `redis-cli --cluster create`, started on loopback by the tests.
"""

import asyncio
import os
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts.redis_layout import RedisLayout
from etl_job.publish import committed_versions, current_version, publish_neighbours, rollback
from recsys_service.config import Settings
from recsys_service.main import create_app
from redis.cluster import RedisCluster
from redis.crc import key_slot
from testkit.apps import AppClient
from testkit.stored import stored

MOVIES = 300
PER_MOVIE = 10
META = {"model_version": "cluster-test"}


def _generation(gen: int) -> tuple[dict[str, str], dict[str, list[tuple[str, float, str]]]]:
    """Titles stay put; each generation has its own neighbours and names itself in reasons."""
    titles = {f"ns{i}": f"film {i}" for i in range(MOVIES)}
    neighbours = {f"ns{i}": [(f"ns{(i + gen + rank) % MOVIES}", 1.0 - rank / 100, f"gen {gen}")
                             for rank in range(1, PER_MOVIE + 1)] for i in range(MOVIES)}
    return titles, neighbours


@pytest.fixture
def cluster_prefix() -> str:
    return f"cluster-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cluster_publish(redis_cluster: Any, cluster_prefix: str,
                    model_frames: tuple[Any, Any]) -> Callable[..., str]:
    """cluster_publish(**overrides): the hand-written model (or the frames given), cluster=True."""

    def run(**overrides: Any) -> str:
        titles, neighbours = model_frames
        arguments: dict[str, Any] = {
            "redis_url": redis_cluster.url, "key_prefix": cluster_prefix, "cluster": True,
            "neighbours": neighbours, "titles": titles, "meta": META}
        return publish_neighbours(**{**arguments, **overrides})

    return run


@pytest.fixture
def cluster_client(redis_cluster: Any) -> Iterator[RedisCluster]:
    client = RedisCluster.from_url(redis_cluster.url)
    yield client
    client.close()


def _slot(key: str) -> int:
    return key_slot(key.encode())


def test_a_switch_touches_one_slot_and_versions_spread_over_the_masters(
        cluster_publish: Callable[..., str], cluster_client: RedisCluster,
        cluster_prefix: str) -> None:
    layout = RedisLayout(cluster_prefix)
    control = {_slot(layout.current), _slot(layout.versions), _slot(layout.retired)}
    assert len(control) == 1
    versions = [cluster_publish(keep_versions=12) for _ in range(12)]
    slots = {version: {_slot(key) for key in layout.version_keys(version)}
             for version in versions}
    assert all(len(one) == 1 for one in slots.values())  # a version's keys read together
    # Twelve versions land on more than one master (a 1-in-3^11 chance of a false failure).
    owners = {cluster_client.nodes_manager.get_node_from_slot(one.pop()).name
              for one in slots.values()}
    assert len(owners) > 1


def test_publish_rollback_and_expiry_on_a_cluster(
        redis_cluster: Any, cluster_publish: Callable[..., str], cluster_client: RedisCluster,
        cluster_prefix: str) -> None:
    layout = RedisLayout(cluster_prefix)
    url = redis_cluster.url
    first = cluster_publish(expire_seconds=600)
    second = cluster_publish(expire_seconds=600)
    third = cluster_publish(expire_seconds=600)

    assert current_version(redis_url=url, key_prefix=cluster_prefix, cluster=True) == third
    assert committed_versions(redis_url=url, key_prefix=cluster_prefix,
                              cluster=True) == [third, second]
    assert all(0 < cluster_client.ttl(key) <= 600 for key in layout.version_keys(first))
    assert all(cluster_client.ttl(key) == -1 for key in layout.version_keys(third))
    assert cluster_client.llen(layout.retired) == 0

    assert rollback(redis_url=url, key_prefix=cluster_prefix, expire_seconds=300,
                    cluster=True) == second
    assert current_version(redis_url=url, key_prefix=cluster_prefix, cluster=True) == second
    assert all(0 < cluster_client.ttl(key) <= 300 for key in layout.version_keys(third))
    assert all(cluster_client.ttl(key) == -1 for key in layout.version_keys(second))


@pytest.fixture
async def cluster_recsys(redis_cluster: Any, cluster_prefix: str,
                         app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(redis_url=redis_cluster.url, redis_cluster=True,
                              redis_key_prefix=cluster_prefix, redis_timeout_seconds=5))
    async with app_client(app, base_url="http://recsys") as http:
        yield http


async def test_a_reader_during_publishes_and_rollbacks_sees_whole_versions(
        redis_cluster: Any, cluster_publish: Callable[..., str], frames: Callable,
        cluster_prefix: str, cluster_recsys: httpx.AsyncClient) -> None:
    version_gen: dict[str, int] = {}
    rng = random.Random(11)
    assert (await cluster_recsys.get("/readyz")).status_code == 503

    def publish(gen: int) -> None:
        titles, neighbours = frames(*_generation(gen))
        version_gen[cluster_publish(titles=titles, neighbours=neighbours, keep_versions=4)] = gen

    def rollbacks() -> None:
        for _ in range(2):
            rollback(redis_url=redis_cluster.url, key_prefix=cluster_prefix, cluster=True)

    async def read_one() -> tuple[str, int]:
        i = rng.randrange(MOVIES)
        if rng.random() < 0.5:
            response = await cluster_recsys.get(f"/v1/neighbours/ns{i}",
                                                params={"k": PER_MOVIE})
        else:
            response = await cluster_recsys.get("/v1/neighbours",
                                                params={"title": f"Film {i}", "k": PER_MOVIE})
        assert response.status_code == 200, response.text
        body = response.json()
        reasons = {n["reason"] for n in body["neighbours"]}
        assert len(reasons) == 1, f"an answer mixes versions: {reasons}"
        gen = int(reasons.pop().split()[1])
        if "movie_id" in body:
            assert [n["id"] for n in body["neighbours"]] == [
                f"ns{(i + gen + rank) % MOVIES}" for rank in range(1, PER_MOVIE + 1)]
        return body["model_version"], gen

    async def read_while(work: Callable[[], None]) -> tuple[int, set[int]]:
        writer = asyncio.ensure_future(asyncio.to_thread(work))
        reads, gens = 0, set()
        while True:
            version, gen = await read_one()
            assert version_gen.get(version, gen) == gen  # the named version is the data's
            gens.add(gen)
            reads += 1
            if writer.done():
                break
        await writer
        return reads, gens

    publish(1)
    def publish_three() -> None:
        for gen in (2, 3, 4):
            publish(gen)

    reads, _ = await read_while(publish_three)
    assert reads > 0
    assert (await read_one())[1] == 4
    reads, gens = await read_while(rollbacks)
    assert reads > 0
    assert gens <= {2, 3, 4}
    assert (await read_one())[1] == 2
    assert (await cluster_recsys.get("/readyz")).status_code == 200


def test_etl_runs_repairs_and_republishes_on_a_cluster(
        redis_cluster: Any, cluster_client: RedisCluster, cluster_prefix: str,
        sample_data_dir: Path, tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATA_DIR",
                                                                       "OUTPUT_DIR"))}
    env = {**clean, "DATA_DIR": str(sample_data_dir), "OUTPUT_DIR": str(tmp_path / "out"),
           "REDIS_URL": redis_cluster.url, "REDIS_CLUSTER": "true",
           "REDIS_KEY_PREFIX": cluster_prefix}
    etl = Path(sys.executable).with_name("etl-job")

    def run(command: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(etl), command], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, (command, done.stderr)
        return done

    layout = RedisLayout(cluster_prefix)
    run("run")
    first = (tmp_path / "out" / "current").resolve().name
    assert stored(cluster_client.get(layout.current)).decode() == first
    for key in layout.version_keys(first):  # the cluster came back empty
        cluster_client.unlink(key)
    cluster_client.unlink(layout.current, layout.versions)
    assert "republished" in run("publish").stdout
    assert stored(cluster_client.get(layout.current)).decode() == first
    run("run")
    second = (tmp_path / "out" / "current").resolve().name
    assert stored(cluster_client.get(layout.current)).decode() == second != first
    run("rollback")
    assert (tmp_path / "out" / "current").resolve().name == first
    assert stored(cluster_client.get(layout.current)).decode() == first


async def test_the_taste_script_runs_on_a_cluster_as_on_one_redis(
        cluster_publish: Callable[..., str], cluster_recsys: httpx.AsyncClient,
        publish: Callable[..., str], client: httpx.AsyncClient) -> None:
    cluster_publish()
    publish()
    body = {"liked": ["The Matrix", "alien", "no such film"], "n": 10}
    # The cluster's masters do not know the script yet: the first call loads it (NOSCRIPT).
    answers = [(await recsys.post("/v1/taste", json=body)).json()
               for recsys in (cluster_recsys, cluster_recsys, client)]
    for answer in answers:
        answer.pop("model_version")
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["unknown"] == ["no such film"]
    assert answers[0]["items"]
