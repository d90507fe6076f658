"""A share of every list kept for films outside the most-rated head (scored apart)."""

import polars as pl

# The head: the most-rated films (also the evaluation's tail cutoff).
HEAD_SIZE = 100
# The share is `slots` of every WINDOW places.
WINDOW = 5


def reserve_tail(neighbours: pl.DataFrame, *, head: set[int], slots: int) -> pl.DataFrame:
    """Each query's list (best first) reordered so that every prefix of p places holds at least
    floor(slots x p / WINDOW) films outside `head` while any remain, else the list's order; the
    n-th place keeps the n-th best score. One sort: the t-th tail film goes after min(heads the
    list put before it, heads its share allows before it) head films.
    """
    if not 0 <= slots <= WINDOW:
        raise ValueError(f"tail slots must be between 0 and {WINDOW}, got {slots}")
    if slots == 0 or neighbours.is_empty():
        return neighbours
    heads = pl.Series(sorted(head), dtype=neighbours.schema["neighbour"]).implode()
    tail_rank = pl.col("within")
    # The largest h with floor(slots x (t + h) / WINDOW) <= t.
    allowed = (WINDOW * (tail_rank + 1) - 1) // slots - tail_rank
    slot = (
        pl.when(pl.col("is_head"))
        .then(pl.col("within"))
        .otherwise(pl.min_horizontal(pl.col("place") - tail_rank, allowed))
    )
    return (
        neighbours.with_columns(
            place=pl.int_range(0, pl.len()).over("query"),
            is_head=pl.col("neighbour").is_in(heads),
            place_score=pl.col("score"),
        )
        .with_columns(within=pl.int_range(0, pl.len()).over("query", "is_head"))
        .with_columns(slot=slot)
        .sort(["query", "slot", "is_head", "within"], maintain_order=True)
        .with_columns(score=pl.col("place_score").sort(descending=True).over("query"))
        .select(neighbours.columns)
    )
