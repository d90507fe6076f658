"""Cosine nearest neighbours over sparse rows, computed block by block with a top-k per row."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from scipy import sparse

from etl_job.config import usable_cpus

# 512 query rows x ~16k movies: ~35 MB of float32 scores per block in flight.
BLOCK_ROWS = 512
# Pairs per gather in pair_scores: 100k pairs x ~100 terms, ~120 MB in flight.
PAIR_CHUNK = 100_000

NEIGHBOUR_SCHEMA = pl.Schema({"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64})


def top_k_positive(*, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of each row's k largest positive entries, best first, ties to the
    lower column: np.partition finds the k-th largest value, every entry at or above it is
    sorted (argpartition alone picks among equal values at the cut arbitrarily)."""
    n_rows, n = scores.shape
    if n >= k:
        bound = np.partition(scores, n - k, axis=1)[:, n - k]
    else:
        bound = np.zeros(n_rows, dtype=scores.dtype)
    bound = np.maximum(bound, np.finfo(scores.dtype).tiny)
    flat = np.flatnonzero(scores >= bound[:, None])
    rows, columns = np.divmod(flat, n)
    values = scores.ravel()[flat].astype(np.float64)
    # Row-major candidates and a stable sort: the lower column first on a tie.
    order = np.lexsort((-values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]
    keep = rank < k
    return rows[keep], columns[keep], values[keep]


def top_k_blocks(
    *,
    score: Callable[[np.ndarray], np.ndarray],
    rows: np.ndarray,
    columns: np.ndarray,
    groups: np.ndarray,
    k: int,
    block_rows: int = BLOCK_ROWS,
    threads: int | None = None,
) -> pl.DataFrame:
    """Per query row, the k best positive `columns` by `score(block)` (a dense block of rows x
    columns), never one of the row's own film (`groups`): query, neighbour, score, best first.

    Blocks run on `threads` threads (default: the usable CPUs): sparse products and numpy's
    partition release the GIL.
    """
    rows, columns = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)

    def run(start: int) -> pl.DataFrame:
        block = rows[start : start + block_rows]
        scores = score(block)
        scores[groups[block][:, None] == groups[columns][None, :]] = -np.inf
        found, neighbours, values = top_k_positive(scores=scores, k=k)
        return pl.DataFrame(
            {
                "query": block[found].astype(np.int32),
                "neighbour": columns[neighbours].astype(np.int32),
                "score": values.astype(np.float64),
            }
        )

    if k <= 0 or len(rows) == 0:
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    with ThreadPoolExecutor(max_workers=threads or usable_cpus()) as pool:
        return pl.concat(pool.map(run, range(0, len(rows), block_rows)))


def top_k_neighbours(
    *,
    matrix: sparse.csr_matrix,
    rows: np.ndarray,
    groups: np.ndarray,
    k: int,
    columns: np.ndarray | None = None,
    block_rows: int = BLOCK_ROWS,
    threads: int | None = None,
) -> pl.DataFrame:
    """Top-k rows of `matrix` (among `columns`, default all) by dot product for each query row,
    never one of its own film (top_k_blocks)."""
    every = np.arange(matrix.shape[0]) if columns is None else columns
    transposed = (matrix if columns is None else matrix[columns]).T.tocsr()
    return top_k_blocks(
        score=lambda block: (matrix[block] @ transposed).toarray(),
        rows=rows,
        columns=every,
        groups=groups,
        k=min(k, matrix.shape[0] - 1),
        block_rows=block_rows,
        threads=threads,
    )


def top_per_query(*, neighbours: pl.DataFrame, k: int) -> pl.DataFrame:
    """The k best rows per query of a query/neighbour/score frame, best first."""
    return (
        neighbours.sort(["query", "score", "neighbour"], descending=[False, True, False])
        .group_by("query", maintain_order=True)
        .head(k)
    )


def pair_scores(*, matrix: sparse.csr_matrix, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dot product of row left[i] with row right[i] for every i, PAIR_CHUNK pairs at a time."""
    scores = np.zeros(len(left), dtype=np.float64)
    for start in range(0, len(left), PAIR_CHUNK):
        stop = start + PAIR_CHUNK
        products = matrix[left[start:stop]].multiply(matrix[right[start:stop]])
        scores[start:stop] = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
    return scores
