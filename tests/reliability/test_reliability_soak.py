"""A short soak: 60 s of mixed random traffic at a fixed rate through the real stack, with the
gateway's caches on as shipped: no errors, and no process grows by 10% once warmed up."""

import asyncio
import random
import string
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from testkit.stack import Stack, stack_starter

pytestmark = pytest.mark.slow

RATE = 40  # requests a second, sent on schedule whatever the answers take (open loop)
WARM_UP_SECONDS = 10
SOAK_SECONDS = 60
SAMPLE_IDS = ["ns1", "ns2", "ns3", "ns4", "ns5", "as8", "hs7", "hs8", "ds8", "ns999", "hs1"]
TITLES = ["the long night", "another long night", "tango story", "night drive", "the lng nite"]


def random_path(rng: random.Random) -> str:
    platform = rng.choice(["netflix", "amazon", "hulu", "disney"])
    junk = "".join(rng.choices(string.ascii_lowercase + " ", k=rng.randint(3, 60)))
    return rng.choice([
        f"/get_score_count?platform={platform}&scored={rng.randint(0, 100)}"
        f"&year={rng.randint(1990, 2021)}",
        f"/get_count_platform?platform={platform}",
        f"/get_actor?platform={platform}&year={rng.randint(2015, 2021)}",
        f"/get_max_duration?year={rng.randint(2015, 2021)}&platform={platform}",
        f"/get_contents?rating={rng.choice(['tv-ma', 'pg-13', 'g', '13+', 'r'])}",
        f"/prod_per_county?tipo=pelicula&pais=argentina&anio={rng.randint(2015, 2021)}",
        f"/titles/{rng.choice(SAMPLE_IDS)}",
        f"/get_recommendation?titulo={rng.choice(TITLES)}",
        f"/get_recommendation?titulo={junk}",  # unknown: a 404 with suggestions
        f"/search?q={junk[:20]}",
    ])


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


async def paced(base_url: str, seconds: float, seed: int) -> tuple[Counter[str], int]:
    """Send RATE requests a second for `seconds`; count outcomes; return (counts, late)."""
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    tasks = []
    async with httpx.AsyncClient(base_url=base_url, timeout=10,
                                 limits=httpx.Limits(max_connections=32)) as client:

        async def one(path: str) -> None:
            try:
                answer = await client.get(path)
                outcomes[str(answer.status_code)] += 1
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1

        started = time.monotonic()
        for n in range(int(seconds * RATE)):
            delay = started + n / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(random_path(rng))))
        await asyncio.gather(*tasks)
    return outcomes, len(tasks)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, sample_catalog_dir: Path,
            hand_written_model) -> Iterator[Stack]:
    """A stack whose gateway keeps answers as shipped (2 s, per data version)."""
    with stack_starter(tmp_path_factory.mktemp("soak"), sample_catalog_dir,
                       hand_written_model) as start:
        yield start(DOWNSTREAM_CACHE_SECONDS="2")


def test_a_minute_of_mixed_traffic_has_no_errors_and_no_growth(shipped: Stack):
    processes = {"gateway": shipped.gateway, "catalog": shipped.catalog,
                 "recsys": shipped.recsys}
    warm, _ = asyncio.run(paced(shipped.gateway.url, WARM_UP_SECONDS, seed=1))
    before = {name: rss(process.running_pid()) for name, process in processes.items()}
    outcomes, sent = asyncio.run(paced(shipped.gateway.url, SOAK_SECONDS, seed=2))
    after = {name: rss(process.running_pid()) for name, process in processes.items()}
    assert sum(outcomes.values()) == sent == SOAK_SECONDS * RATE
    errors = {outcome: count for outcome, count in (warm + outcomes).items()
              if not outcome.isdigit() or int(outcome) >= 500}
    assert errors == {}, outcomes
    assert outcomes["200"] > sent // 2  # mostly answers; the rest 404s of unknown titles
    for name in processes:
        growth = (after[name] - before[name]) / before[name]
        assert growth < 0.10, f"{name} grew {growth:.1%}: {before[name]} -> {after[name]}"
