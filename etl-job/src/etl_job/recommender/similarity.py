"""Cosine nearest neighbours over sparse rows, computed block by block with a top-k per row."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from scipy import sparse

# 512 query rows x ~16k movies is ~35 MB of float32 scores per block in flight: bounded whatever
# the catalog size.
BLOCK_ROWS = 512
# Sparse products and argpartition release the GIL, so two threads use both cores of the box.
WORKERS = min(2, os.cpu_count() or 1)

# Pairs scored per gather in pair_scores: 100k pairs x ~100 terms each is ~120 MB in flight.
PAIR_CHUNK = 100_000

NEIGHBOUR_SCHEMA = {"query": pl.Int32, "neighbour": pl.Int32, "score": pl.Float64}


def top_k_positive(*, scores: np.ndarray, k: int,
                   sample_every: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of each row's k largest positive entries, best first.

    Ties go to the lower column, so the result is exact and deterministic. Rather than
    argpartition every full row (the slow part), the k-th largest value of every
    `sample_every`-th column is a lower bound of the row's k-th largest; only the few entries
    at or above it get sorted.
    """
    n_rows, n = scores.shape
    sample = scores[:, ::sample_every] if n // sample_every >= k else scores
    width = sample.shape[1]
    if width >= k:
        bound = np.partition(sample, width - k, axis=1)[:, width - k]
    else:
        bound = np.zeros(n_rows, dtype=scores.dtype)
    bound = np.maximum(bound, np.finfo(scores.dtype).tiny)
    # Row-major: candidates come grouped by row, columns ascending.
    flat = np.flatnonzero(scores >= bound[:, None])
    rows, columns = np.divmod(flat, n)
    values = scores.ravel()[flat].astype(np.float64)
    # One float64 key sorts by row, then value descending (rows are spaced wider than any
    # value); the stable sort keeps the lower column first on a tie.
    span = 2.0 * float(values.max(initial=0.0)) + 1.0
    order = np.argsort(rows * span - values, kind="stable")
    rows, columns, values = rows[order], columns[order], values[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]
    keep = rank < k
    return rows[keep], columns[keep], values[keep]


def _block_top_k(*, matrix: sparse.csr_matrix, transposed: sparse.csr_matrix, block: np.ndarray,
                 groups: np.ndarray, k: int) -> pl.DataFrame:
    scores = (matrix[block] @ transposed).toarray()
    scores[groups[block][:, None] == groups[None, :]] = -np.inf
    rows, columns, values = top_k_positive(scores=scores, k=k)
    return pl.DataFrame({
        "query": block[rows].astype(np.int32),
        "neighbour": columns.astype(np.int32),
        "score": values.astype(np.float64),
    })


def top_k_neighbours(*, matrix: sparse.csr_matrix, rows: np.ndarray, groups: np.ndarray, k: int,
                     block_rows: int = BLOCK_ROWS, workers: int = WORKERS) -> pl.DataFrame:
    """Top-k rows by dot product for each query row, skipping rows of the query's own group.

    `groups[i]` identifies the film of row i (its normalised title): a row never neighbours
    itself nor another row of its group. Returns columns query, neighbour (row numbers) and
    score, only for positive scores, best first within each query.
    """
    rows = np.asarray(rows, dtype=np.int64)
    k = min(k, matrix.shape[0] - 1)
    if k <= 0 or len(rows) == 0:
        return pl.DataFrame(schema=NEIGHBOUR_SCHEMA)
    transposed = matrix.T.tocsr()
    blocks = [rows[start:start + block_rows] for start in range(0, len(rows), block_rows)]

    def run(block: np.ndarray) -> pl.DataFrame:
        return _block_top_k(matrix=matrix, transposed=transposed, block=block, groups=groups, k=k)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        frames = list(pool.map(run, blocks))
    return pl.concat(frames)


def pair_scores(*, matrix: sparse.csr_matrix, left: np.ndarray, right: np.ndarray,
                chunk: int = PAIR_CHUNK) -> np.ndarray:
    """Dot product of row left[i] with row right[i] for every i, without forming a full product.

    Pairs go `chunk` at a time: the gathered rows of millions of pairs would not fit.
    """
    scores = np.zeros(len(left), dtype=np.float64)
    for start in range(0, len(left), chunk):
        stop = start + chunk
        products = matrix[left[start:stop]].multiply(matrix[right[start:stop]])
        scores[start:stop] = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
    return scores
