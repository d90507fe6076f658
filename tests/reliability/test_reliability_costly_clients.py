"""Two clients at their rate limit with the dearest requests there are cannot slow a third
client's search: real processes over the real catalog, timings measured.

Each attacker sends, 14 times a second (under the default 30/second;900/minute), a POST of 20
distinct unknown 198-character titles: every one was a fuzzy scan of the catalog for
suggestions, ~50 ms of CPU a request, and two such clients raised everyone's /search p50 from
~7 ms to 61-103 ms. Each request now spends its cost of the limit (a token per title, three
per suggestion search) and searches suggestions for three titles at most.
"""

import random
import statistics
import string
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway.config import Settings
from testkit.stack import Stack, stack_starter

pytestmark = pytest.mark.slow

ATTACKERS = 2
ATTACK_RATE = 14.0  # requests a second each, as in the probe that found it
SEARCHES = 25  # the victim's /search calls per phase
VICTIM_RATE = 8.0  # a person typing: well under the limit
WORDS = ["night", "story", "love", "war", "star", "house", "dark", "girl", "blue", "last",
         "world", "city", "king", "life", "game", "home", "wild", "time", "dead", "road"]


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory, real_catalog_dir: Path,
               hand_written_model) -> Iterator[Stack]:
    """The default rate limit (tests run without one unless they ask), each client named by
    X-Real-IP (as behind ingress-nginx)."""
    with stack_starter(tmp_path_factory.mktemp("costly"), real_catalog_dir,
                       hand_written_model) as start:
        yield start(RATE_LIMIT=Settings.model_fields["rate_limit"].default,
                    RATE_LIMIT_CLIENT_HEADER="X-Real-IP")


def victim_p50(stack: Stack, rng: random.Random) -> float:
    """The median of SEARCHES searches, each a new question (no cache answers it)."""
    seconds = []
    with stack.client(headers={"X-Real-IP": "10.9.0.1"}) as client:
        for _ in range(SEARCHES):
            time.sleep(1 / VICTIM_RATE)
            query = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"[: rng.randint(5, 12)]
            started = time.perf_counter()
            answer = client.get("/search", params={"q": query})
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
    return statistics.median(seconds)


def attack(stack: Stack, address: str, stop: threading.Event, statuses: list[int]) -> None:
    rng = random.Random(address)
    with stack.client(headers={"X-Real-IP": address}) as client:
        next_at = time.perf_counter()
        while not stop.is_set():
            titles = ["".join(rng.choices(string.ascii_lowercase + " ", k=198)) + f"{n:02d}"
                      for n in range(20)]
            statuses.append(client.post("/recommendations", json={"liked": titles}).status_code)
            next_at += 1 / ATTACK_RATE
            time.sleep(max(0.0, next_at - time.perf_counter()))


def test_two_clients_at_the_limit_cannot_double_anothers_search_p50(real_stack: Stack):
    rng = random.Random(7)
    victim_p50(real_stack, rng)  # warm: connections, the catalog's first scans
    before = victim_p50(real_stack, rng)
    stop = threading.Event()
    statuses: list[list[int]] = [[] for _ in range(ATTACKERS)]
    attackers = [threading.Thread(target=attack, args=(real_stack, f"10.8.0.{n}", stop,
                                                       statuses[n]))
                 for n in range(ATTACKERS)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(1.0)  # both at their limit before the victim measures
        during = victim_p50(real_stack, rng)
    finally:
        stop.set()
        for thread in attackers:
            thread.join()
    after = victim_p50(real_stack, rng)

    # Idle is measured on both sides of the attack: the machine's own noise is not the attack.
    idle = max(before, after)
    print(f"/search p50 idle {before * 1000:.1f} / {after * 1000:.1f} ms, under attack "
          f"{during * 1000:.1f} ms; attackers' answers: "
          + "; ".join(f"{sent.count(429)} of {len(sent)} refused" for sent in statuses))
    assert during <= 2 * idle, (
        f"/search p50 {during * 1000:.1f} ms under attack, {before * 1000:.1f} / "
        f"{after * 1000:.1f} ms idle")
    for sent in statuses:
        # Each attacker did reach its limit: some lists were served (all unknown titles: a
        # 404 with suggestions), the rest refused.
        assert 429 in sent
        assert set(sent) - {429} == {404}
