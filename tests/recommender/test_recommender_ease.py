"""EASE: B = -P / diag(P), P = (XᵀX + λI)⁻¹, on hand-written matrices."""

import numpy as np
import polars as pl
import pytest
from etl_job.recommender import ease
from etl_job.recommender.movies import RatedMatrix
from scipy import sparse

# 5 users x 6 movies; nobody liked movie 5.
LIKED = np.array([
    [1, 1, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 0],
    [0, 1, 1, 1, 0, 0],
    [0, 0, 1, 1, 1, 0],
    [1, 0, 0, 1, 1, 0],
], dtype=np.float32)


def direct_ease(liked: np.ndarray, lam: float) -> np.ndarray:
    """The textbook formula with a general float64 inverse, independent of the module."""
    inverse = np.linalg.inv(liked.T.astype(np.float64) @ liked + lam * np.eye(liked.shape[1]))
    weights = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def test_two_movies_by_hand():
    # G = [[a, c], [c, b]] with a = 2 fans of movie 0, b = 3 of movie 1, c = 1 of both:
    # P = [[b + λ, -c], [-c, a + λ]] / det, so B[0, 1] = c / (a + λ) and B[1, 0] = c / (b + λ).
    liked = np.array([[1, 1], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    weights = ease.ease_weights(ease.gram_matrix(sparse.csr_matrix(liked)), lam=2.0)
    assert weights == pytest.approx(np.array([[0.0, 1 / 4], [1 / 5, 0.0]]), abs=1e-6)


@pytest.mark.parametrize("lam", [0.5, 2.0, 50.0])
def test_weights_match_a_direct_inverse(lam):
    weights = ease.ease_weights(ease.gram_matrix(sparse.csr_matrix(LIKED)), lam=lam)
    assert weights.dtype == np.float32
    assert weights == pytest.approx(direct_ease(LIKED, lam), abs=1e-5)
    assert np.all(np.diag(weights) == 0.0)
    # Movie 5 has no fans: it scores nothing for anyone and nothing scores it.
    assert np.all(weights[5] == 0.0)
    assert np.all(weights[:, 5] == 0.0)


def test_gram_blocks_and_in_place_solve_agree_with_the_plain_product():
    matrix = sparse.csr_matrix(LIKED)
    gram = ease.gram_matrix(matrix, block=4)  # two blocks, the second one short
    assert gram == pytest.approx(LIKED.T @ LIKED)
    expected = ease.inverse_gram(gram, lam=3.0)
    assert np.array_equal(gram, LIKED.T @ LIKED)  # the default leaves the input alone
    in_place = ease.inverse_gram(gram, lam=3.0, overwrite=True)
    assert np.shares_memory(in_place, gram)
    assert in_place == pytest.approx(np.linalg.inv(LIKED.T @ LIKED + 3.0 * np.eye(6)), abs=1e-6)
    assert in_place == pytest.approx(expected)
    assert np.array_equal(in_place, in_place.T)


def test_bad_lambda_and_too_many_movies_are_refused(monkeypatch):
    gram = ease.gram_matrix(sparse.csr_matrix(LIKED))
    with pytest.raises(ValueError, match="lambda must be positive"):
        ease.ease_weights(gram, lam=0.0)
    monkeypatch.setattr(ease, "MAX_ITEMS", 5)
    with pytest.raises(ValueError, match="at most 5 movies, got 6"):
        ease.ease_weights(gram, lam=1.0)


def test_neighbours_rank_positive_weights_and_skip_the_same_film():
    # Users 1-5 as catalog user ids; movie rows 0-5 (5 liked by nobody, only rated low).
    users, rows = np.nonzero(LIKED)
    ratings = pl.concat([
        pl.DataFrame({"user_id": users + 1, "row": rows.astype(np.int32), "rating": 4.5}),
        pl.DataFrame({"user_id": [1], "row": pl.Series([5], dtype=pl.Int32), "rating": [1.0]}),
    ])
    groups = np.array([0, 1, 2, 3, 4, 5])
    rated = RatedMatrix.from_frame(ratings)
    model = next(ease.fit_ease(ratings=rated, lambdas=[1.0]))
    frame = model.neighbours(groups=groups, rows=np.arange(6), k=2)
    expected = direct_ease(LIKED, 1.0)
    for query in range(5):
        positive = np.sort(expected[query][expected[query] > 0])[::-1][:2]
        got = frame.filter(pl.col("query") == query)
        # Best first, the two largest positive weights (ties may come in either order).
        assert got["score"].to_numpy() == pytest.approx(positive, abs=1e-5)
        assert expected[query, got["neighbour"].to_numpy()] == pytest.approx(positive, abs=1e-5)
    assert 5 not in set(frame["query"]) | set(frame["neighbour"])
    # Movies 0 and 1 as one film (the same title on two platforms): never each other's neighbour.
    same = model.neighbours(groups=np.array([0, 0, 2, 3, 4, 5]), rows=np.array([0, 1]), k=5)
    pairs = set(same.select("query", "neighbour").iter_rows())
    assert not pairs & {(0, 1), (1, 0)}
