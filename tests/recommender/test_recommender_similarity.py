"""Block-wise sparse top-k against a brute-force dense computation, and the pair scores."""

import numpy as np
import polars as pl
import pytest
from etl_job.recommender.similarity import pair_scores, top_k_neighbours, top_k_positive
from scipy import sparse


def brute_force(matrix: np.ndarray, groups: np.ndarray, k: int) -> dict[int, list[tuple]]:
    """Every pair's dot product, best first, lower column first on a tie; positives only."""
    full = matrix @ matrix.T
    expected: dict[int, list[tuple]] = {}
    for query in range(len(matrix)):
        pairs = [(-full[query, other], other) for other in range(len(matrix))
                 if groups[other] != groups[query] and full[query, other] > 0]
        expected[query] = [(other, -negative) for negative, other in sorted(pairs)[:k]]
    return expected


def as_lists(frame: pl.DataFrame) -> dict[int, list[tuple]]:
    result: dict[int, list[tuple]] = {}
    for query, neighbour, score in frame.iter_rows():
        result.setdefault(query, []).append((neighbour, score))
    return result


@pytest.mark.parametrize(("block_rows", "workers"), [(7, 1), (7, 2), (64, 1)])
def test_block_top_k_equals_brute_force(block_rows: int, workers: int):
    rng = np.random.default_rng(3)
    # Small integers make ties certain; a few empty rows have no neighbour at all.
    dense = rng.integers(0, 3, size=(40, 12)).astype(np.float32) * (rng.random((40, 12)) < 0.3)
    dense[[5, 17]] = 0
    groups = np.arange(40)
    groups[[1, 2, 3]] = 1  # rows 1-3 are one film
    expected = brute_force(dense, groups, k=5)
    got = as_lists(top_k_neighbours(matrix=sparse.csr_matrix(dense), rows=np.arange(40),
                                    groups=groups, k=5, block_rows=block_rows, threads=workers))
    for query in range(40):
        assert [n for n, _ in got.get(query, [])] == [n for n, _ in expected[query]]
        assert np.allclose([s for _, s in got.get(query, [])], [s for _, s in expected[query]])
    assert 5 not in got
    assert 17 not in got
    assert not {2, 3} & {n for n, _ in got.get(1, [])}


def test_top_k_for_a_subset_of_rows_only():
    rng = np.random.default_rng(5)
    dense = rng.random((30, 8)).astype(np.float32)
    groups = np.arange(30)
    rows = np.array([29, 3, 11])
    frame = top_k_neighbours(matrix=sparse.csr_matrix(dense), rows=rows, groups=groups, k=4,
                             block_rows=2)
    expected = brute_force(dense, groups, k=4)
    got = as_lists(frame)
    assert set(got) == {29, 3, 11}
    for query in rows:
        assert [n for n, _ in got[int(query)]] == [n for n, _ in expected[int(query)]]


def test_top_k_positive_breaks_ties_by_lower_column():
    scores = np.array([[0.5, 0.9, 0.5, 0.0, 0.5, -np.inf],
                       [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                       [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]], dtype=np.float32)
    rows, columns, values = top_k_positive(scores=scores, k=3)
    assert rows.tolist() == [0, 0, 0, 2, 2, 2]
    assert columns.tolist() == [1, 0, 2, 5, 4, 3]
    assert np.allclose(values, [0.9, 0.5, 0.5, 0.6, 0.5, 0.4])


def test_pair_scores_are_row_dot_products():
    dense = np.array([[1, 0, 2], [0, 3, 0], [4, 0, 1]], dtype=np.float32)
    scores = pair_scores(matrix=sparse.csr_matrix(dense), left=np.array([0, 0, 1]),
                         right=np.array([2, 1, 1]))
    assert scores.tolist() == [6.0, 0.0, 9.0]
