"""best_neighbours (the lazy walk the routes use) answers exactly what merge_neighbours does."""

import random

import pytest
from contracts.neighbour_lists import best_neighbours, merge_neighbours
from contracts.redis_layout import Neighbour

TITLES = ["heat", "Heat!", "alien", "the matrix", "amélie", "amelie", "toy story"]


def random_list(rng: random.Random, *, ranked: bool) -> list[Neighbour]:
    """Rows that collide: the same film under several ids, shared titles of other years and
    types, tied scores, and the query's own ids."""
    rows = [Neighbour(id=f"x{rng.randint(0, 30)}", title=rng.choice(TITLES),
                      score=rng.choice([0.9, 0.5, 0.5, 0.3, round(rng.random(), 4)]),
                      reason=f"r{i}", type=rng.choice(["movie", "tv show"]),
                      release_year=rng.choice([1995, 1986, None]))
            for i in range(rng.randint(0, 40))]
    return sorted(rows, key=lambda n: -n.score) if ranked else rows


@pytest.mark.parametrize("seed", range(300))
def test_best_neighbours_is_merge_neighbours(seed: int) -> None:
    rng = random.Random(seed)
    ranked = seed % 3 != 0  # a third of the cases take the full-merge fallback
    lists = [random_list(rng, ranked=ranked) for _ in range(1 if seed % 5 else 2)]
    query = {f"x{rng.randint(0, 30)}" for _ in range(rng.randint(1, 3))}
    expected = merge_neighbours(lists=lists, query_ids=query)
    assert list(best_neighbours(lists=lists, query_ids=query)) == expected
