"""A reader running while new versions are written sees one whole version per answer."""

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from recsys_service.config import Settings
from recsys_service.main import create_app
from testkit.apps import AppClient

MOVIES = 1500
PER_MOVIE = 20


def _generation(gen: int) -> tuple[dict[str, str], dict[str, list[tuple[str, float, str]]]]:
    """Titles stay put (pairs share one); each generation has its own neighbours and reasons."""
    titles = {f"ns{i}": f"film {i // 2}" for i in range(MOVIES)}
    neighbours = {
        f"ns{i}": [(f"ns{(i + 2 * (gen + rank)) % MOVIES}", 1.0 - rank / 100, f"gen {gen}")
                   for rank in range(1, PER_MOVIE + 1)]
        for i in range(MOVIES)}
    return titles, neighbours


@pytest.fixture
async def client(redis_server, prefix: str,
                 app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(redis_url=redis_server.url, redis_key_prefix=prefix,
                              redis_timeout_seconds=5))
    async with app_client(app, base_url="http://recsys") as http:
        yield http


async def test_reads_during_publishes_never_mix_versions(
        client: httpx.AsyncClient, publish: Callable[..., str], frames: Callable) -> None:
    generations = {gen: frames(*_generation(gen)) for gen in (1, 2, 3, 4)}
    version_gen: dict[str, int] = {}
    reads_while_writing = 0
    rng = random.Random(7)

    def publish_generation(gen: int) -> None:
        titles, neighbours = generations[gen]
        version_gen[publish(titles=titles, neighbours=neighbours)] = gen

    def publish_later_generations() -> None:
        for gen in (2, 3, 4):
            publish_generation(gen)

    async def read_one() -> tuple[str, int]:
        """One answer by id or by title; returns its version and the one generation it shows."""
        i = rng.randrange(MOVIES)
        if rng.random() < 0.5:
            response = await client.get(f"/v1/neighbours/ns{i}", params={"k": PER_MOVIE})
        else:
            response = await client.get("/v1/neighbours", params={"title": f"Film {i // 2}",
                                                                   "k": PER_MOVIE})
        assert response.status_code == 200, response.text
        body = response.json()
        reasons = {n["reason"] for n in body["neighbours"]}
        assert len(reasons) == 1, f"an answer mixes generations: {reasons}"
        gen = int(reasons.pop().split()[1])
        if "movie_id" in body:
            expected = [f"ns{(i + 2 * (gen + rank)) % MOVIES}" for rank in range(1, PER_MOVIE + 1)]
            assert [n["id"] for n in body["neighbours"]] == expected
        return body["model_version"], gen

    def check(version: str, gen: int) -> None:
        # The version named in the answer is the one whose data the answer carries.
        assert version_gen.get(version, gen) == gen
        seen.setdefault(version, gen)
        assert seen[version] == gen

    seen: dict[str, int] = {}
    publish_generation(1)
    check(*await read_one())
    writer = asyncio.ensure_future(asyncio.to_thread(publish_later_generations))
    while True:
        check(*await read_one())
        reads_while_writing += 1
        if writer.done():
            break
    await writer
    last_version, last_gen = await read_one()
    check(last_version, last_gen)

    assert reads_while_writing > 0
    assert last_gen == 4
    assert set(version_gen.values()) == {1, 2, 3, 4}
    assert all(version_gen[version] == gen for version, gen in seen.items())
