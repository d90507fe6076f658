"""The tail share: lists reordered so films outside the head get their places, by hand."""

import numpy as np
import polars as pl
import pytest
from etl_job.recommender import Blend
from etl_job.recommender.tail import WINDOW, reserve_tail

HEAD = {0, 1, 2, 3, 4}  # films 0-4 are the head, 10+ the tail


def lists(**per_query: list[int]) -> pl.DataFrame:
    """query -> neighbours best first; scores fall by 1 down each list from 100."""
    rows = [(int(q), n, 100.0 - place) for q, ns in per_query.items()
            for place, n in enumerate(ns)]
    return pl.DataFrame(rows, schema={"query": pl.Int32, "neighbour": pl.Int32,
                                      "score": pl.Float64}, orient="row")


def walk(neighbours: list[int], head: set[int], slots: int) -> list[int]:
    """The plain greedy the module claims to equal: take the next tail film when the prefix
    would fall short of floor(slots x places / 5), else the next film of the list."""
    heads = [n for n in neighbours if n in head]
    tails = [n for n in neighbours if n not in head]
    out: list[int] = []
    while heads or tails:
        place = len(out) + 1
        short = sum(n not in head for n in out) < (slots * place) // WINDOW
        if tails and (short or not heads or neighbours.index(tails[0])
                      < neighbours.index(heads[0])):
            out.append(tails.pop(0))
        else:
            out.append(heads.pop(0))
    return out


def test_two_of_five_by_hand():
    # H H H H T H T -> H H T H T H H: the 1st tail film by place 3, the 2nd by place 5.
    frame = lists(**{"7": [0, 1, 2, 3, 10, 4, 11]})
    out = reserve_tail(frame, head=HEAD, slots=2)
    assert out["neighbour"].to_list() == [0, 1, 10, 2, 11, 3, 4]
    # Each place keeps the list's score for that place: scores never rise.
    assert out["score"].to_list() == [100.0, 99.0, 98.0, 97.0, 96.0, 95.0, 94.0]
    assert out["query"].to_list() == [7] * 7


def test_one_of_five_and_a_list_already_sharing_are_left_as_they_are():
    frame = lists(**{"1": [0, 1, 2, 3, 10, 4, 11], "2": [10, 0, 1, 2, 3, 4]})
    out = reserve_tail(frame, head=HEAD, slots=1)
    # Query 1 already has its tail film at place 5; query 2 at place 1, and 1 of 5 asks no
    # second one before place 10.
    assert out.equals(frame)
    assert reserve_tail(frame, head=HEAD, slots=0).equals(frame)


def test_a_list_short_of_tail_films_gives_them_the_earliest_places_then_heads():
    out = reserve_tail(lists(**{"3": [0, 1, 2, 3, 4, 10]}), head=HEAD, slots=3)
    # 3 of 5 wants a tail film by place 2; there is one, the heads keep their order.
    assert out["neighbour"].to_list() == [0, 10, 1, 2, 3, 4]


@pytest.mark.parametrize("slots", range(1, WINDOW + 1))
def test_matches_the_plain_walk_on_random_lists(slots):
    rng = np.random.default_rng(slots)
    per_query = {str(q): rng.permutation(np.r_[0:5, 10:10 + rng.integers(0, 12)])[
        :rng.integers(1, 15)].tolist() for q in range(60)}
    out = reserve_tail(lists(**per_query), head=HEAD, slots=slots)
    got = {str(q): ns for q, ns in out.group_by("query", maintain_order=True)
           .agg(pl.col("neighbour")).iter_rows()}
    assert got == {q: walk(ns, HEAD, slots) for q, ns in per_query.items()}
    for q, ns in got.items():
        tail_films = sum(n not in HEAD for n in ns)
        for place in range(1, len(ns) + 1):
            prefix = sum(n not in HEAD for n in ns[:place])
            assert prefix >= min(slots * place // WINDOW, tail_films), (q, place)
    scores = out.group_by("query", maintain_order=True).agg(pl.col("score"))["score"]
    assert all(s == sorted(s, reverse=True) for s in scores.to_list())


def test_bad_shares_are_refused():
    with pytest.raises(ValueError, match="tail slots"):
        reserve_tail(lists(**{"1": [0]}), head=HEAD, slots=WINDOW + 1)
    with pytest.raises(ValueError, match="tail share"):
        Blend(ease=1.0, bm25=0.0, content=0.1, lam=500.0, tail=-1)
    assert Blend(ease=1.0, bm25=0.0, content=0.1, lam=500.0, tail=2).label == (
        "blend ease 1 + bm25 0 + content 0.1 (λ 500), 2 of 5 outside the head")
