"""EASE (Steck, WWW 2019): a closed-form item-item model on the users' liked movies."""

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse
from scipy.linalg import lapack

from etl_job.config import usable_cpus
from etl_job.recommender.collaborative import POSITIVE_RATING, positive_matrix
from etl_job.recommender.movies import RatedMatrix
from etl_job.recommender.similarity import BLOCK_ROWS, top_k_blocks

log = logging.getLogger(__name__)

# Past this many only the most liked movies get an EASE signal (cost: docs/recommender.md).
MAX_ITEMS = 6_000
# A larger λ leans EASE towards the films most users share: HR@5 rises, the tail falls.
LAMBDA_GRID = (500.0, 2000.0, 8000.0)
# Columns of XᵀX built per sparse product: ~16k x 1024 entries in flight at most.
GRAM_BLOCK = 1024


def gram_matrix(
    liked: sparse.csr_matrix, *, block: int = GRAM_BLOCK, threads: int | None = None
) -> np.ndarray:
    """XᵀX as a dense float32 matrix, a block of columns per sparse product (a sparse XᵀX of
    popular movies is nearly dense at 12 bytes an entry), on `threads` threads (default: the
    usable CPUs; the entries are exact counts, so threads change no bit)."""
    liked = sparse.csc_matrix(liked, dtype=np.float32)
    transposed = liked.T  # a CSC matrix's transpose is a CSR over the same arrays: no copy
    n = liked.shape[1]
    gram = np.zeros((n, n), dtype=np.float32)

    def fill(start: int) -> None:
        stop = min(start + block, n)
        gram[:, start:stop] = (transposed @ liked[:, start:stop]).toarray()

    with ThreadPoolExecutor(max_workers=threads or usable_cpus()) as pool:
        list(pool.map(fill, range(0, n, block)))
    return gram


def inverse_gram(gram: np.ndarray, *, lam: float, overwrite: bool = False) -> np.ndarray:
    """P = (G + λI)⁻¹ by Cholesky (LAPACK potrf + potri), float32; in `gram`'s memory with
    overwrite=True."""
    if lam <= 0:
        raise ValueError(f"EASE lambda must be positive, got {lam}")
    n = gram.shape[0]
    if gram.shape != (n, n):
        raise ValueError(f"the Gram matrix must be square, got shape {gram.shape}")
    work = gram if overwrite else gram.copy()
    work[np.diag_indices(n)] += np.float32(lam)
    # The symmetric C-ordered matrix's transpose is a Fortran-ordered view LAPACK works in.
    factor, info = lapack.spotrf(work.T, lower=1, overwrite_a=1, clean=0)
    if info != 0:
        raise np.linalg.LinAlgError(
            f"EASE: XᵀX + {lam:g}·I is not positive definite (potrf info {info})"
        )
    inverse, info = lapack.spotri(factor, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: the Cholesky inverse failed (potri info {info})")
    result = np.ascontiguousarray(inverse.T)
    _mirror_upper(result)
    return result


def _mirror_upper(matrix: np.ndarray, *, block: int = BLOCK_ROWS) -> None:
    """Copy the upper triangle onto the lower one in place, a block of rows at a time."""
    n = matrix.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.arange(start, stop)
        upper = matrix[:stop, start:stop].T
        lower = np.arange(stop)[None, :] < rows[:, None]
        matrix[start:stop, :stop] = np.where(lower, upper, matrix[start:stop, :stop])


def ease_weights(gram: np.ndarray, *, lam: float, overwrite: bool = False) -> np.ndarray:
    """B = -P / diag(P) column by column, diag(B) = 0: B[i, j] scores movie j for a fan of i."""
    n = gram.shape[0]
    if n > MAX_ITEMS:
        raise ValueError(f"EASE accepts at most {MAX_ITEMS} movies, got {n}")
    weights = inverse_gram(gram, lam=lam, overwrite=overwrite)
    diagonal = weights.diagonal().copy()
    weights /= -diagonal[None, :]
    weights[np.diag_indices(n)] = 0.0
    return weights


@dataclass(frozen=True)
class EaseModel:
    """EASE weights over the movies it knows: column c of `weights` is catalog row movies[c]
    (ascending)."""

    weights: np.ndarray
    movies: np.ndarray
    lam: float
    # Liked movies past MAX_ITEMS, left out of the model (0 when none).
    left_out: int = 0
    # XᵀX before the solve (users who liked both movies), kept only when asked for.
    co_likes: np.ndarray | None = None

    def neighbours(self, *, groups: np.ndarray, rows: np.ndarray, k: int) -> pl.DataFrame:
        """Top-k positive B[i, :] (query, neighbour, score: catalog rows) of each query row the
        model knows, never one of its own film."""
        return top_k_blocks(
            score=lambda block: self.weights[self.columns_of(block)],
            rows=self.movies[np.isin(self.movies, rows)],
            columns=self.movies,
            groups=groups,
            k=k,
            threads=1,
        )

    def pair_scores(self, *, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """B[left[i], right[i]] per pair of catalog rows; NaN where the model knows either not."""
        return self._lookup(self.weights, left=left, right=right)

    def co_like_counts(self, *, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Users who liked both movies of each pair; 0 where the model knows either not."""
        if self.co_likes is None:
            raise ValueError("this EASE model was fitted without keep_co_likes")
        counts = self._lookup(self.co_likes, left=left, right=right)
        return np.nan_to_num(counts, nan=0.0).astype(np.int64)

    def _lookup(self, matrix: np.ndarray, *, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        left, right = self.columns_of(left), self.columns_of(right)
        known = (left >= 0) & (right >= 0)
        values = np.full(len(left), np.nan, dtype=np.float64)
        values[known] = matrix[left[known], right[known]]
        return values

    def columns_of(self, rows: np.ndarray) -> np.ndarray:
        """The column of `weights` of each catalog row (-1 where the model knows it not)."""
        at = np.searchsorted(self.movies, rows).clip(max=len(self.movies) - 1)
        return np.where(self.movies[at] == rows, at, -1)


def fit_ease(
    *,
    ratings: RatedMatrix,
    lambdas: Sequence[float],
    max_items: int = MAX_ITEMS,
    keep_co_likes: bool = False,
    threads: int | None = None,
) -> Iterator[EaseModel]:
    """One EaseModel per lambda (none when nobody liked anything), XᵀX built once; with
    keep_co_likes a copy of XᵀX is kept so reasons can check that someone liked both films."""
    liked, movies = positive_matrix(ratings=ratings, max_items=max_items)
    if liked.nnz == 0:
        return
    likes = int(np.count_nonzero(ratings.per_movie(POSITIVE_RATING)[0]))
    left_out = max(likes - max_items, 0)
    if left_out:
        log.warning(
            "EASE: %d liked movies, past the bound of %d; the %d least liked get no EASE signal",
            likes,
            max_items,
            left_out,
        )
    liked = liked.tocsc()  # the one copy gram_matrix works from
    gram = gram_matrix(liked, threads=threads)
    co_likes = gram.copy() if keep_co_likes else None
    for position, lam in enumerate(lambdas):
        yield EaseModel(
            weights=ease_weights(gram, lam=lam, overwrite=position == len(lambdas) - 1),
            movies=movies,
            lam=float(lam),
            left_out=left_out,
            co_likes=co_likes,
        )
