"""RatedMatrix: the ratings built chunk by chunk against plain loops, and X / BM25 against the
direct constructions they replace."""

import numpy as np
import polars as pl
import pytest
from etl_job.recommender.collaborative import positive_matrix
from etl_job.recommender.movies import MovieIndex, RatedMatrix, index_ratings

IDS = ["as1", "ds2", "hs3", "ns4", "ns5"]


def index_of(ids: list[str]) -> MovieIndex:
    return MovieIndex(movies=pl.DataFrame({"id": ids}), ids=ids,
                      groups=np.arange(len(ids), dtype=np.int64))


def random_ratings(seed: int, rows: int = 200) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "user_id": rng.choice([3, 11, 12, 40, 7, 900], rows).astype(np.int32),
        # "zz9" is no catalog movie (as a show's id is no movie's): it is left out.
        "movie_id": rng.choice([*IDS, "zz9"], rows),
        "rating": (rng.integers(1, 11, rows) / 2).astype(np.float32),
        "timestamp": np.arange(rows, dtype=np.int64),
    })


@pytest.mark.parametrize("chunk_rows", [1, 7, 1000])
def test_index_ratings_in_chunks_keeps_every_rating_in_user_then_input_order(chunk_rows: int):
    ratings = random_ratings(seed=chunk_rows)
    rated = index_ratings(ratings=ratings.lazy(), index=index_of(IDS), chunk_rows=chunk_rows)
    # The expected entries, by a plain loop: user ascending, then the order of the input.
    row_of = {movie: row for row, movie in enumerate(IDS)}
    expected = sorted(((user, position, row_of[movie], rating)
                       for position, (user, movie, rating) in enumerate(
                           ratings.select("user_id", "movie_id", "rating").iter_rows())
                       if movie in row_of))
    got = rated.frame()
    assert got["user_id"].to_list() == [user for user, _, _, _ in expected]
    assert got["row"].to_list() == [row for _, _, row, _ in expected]
    assert got["rating"].to_list() == [rating for _, _, _, rating in expected]
    assert rated.height == len(expected)
    assert rated.users.tolist() == sorted({user for user, _, _, _ in expected})
    assert rated.stars.dtype == np.uint8
    assert rated.stars.indices.dtype == np.int32


def test_counts_and_liked_matrix_against_the_frame():
    ratings = random_ratings(seed=5)
    rated = index_ratings(ratings=ratings, index=index_of(IDS), chunk_rows=9)
    frame = rated.frame()
    liked, rated_counts = rated.per_movie(3.5)
    by_row = frame.group_by("row").agg(liked=(pl.col("rating") >= 3.5).sum(), rated=pl.len())
    for row, n_liked, n_rated in by_row.iter_rows():
        assert (liked[row], rated_counts[row]) == (n_liked, n_rated)
    # Liked once per user and movie, however many times it was rated 3.5 or more.
    dense = np.zeros((len(rated.users), len(IDS)), dtype=np.float32)
    user_row = {user: u for u, user in enumerate(rated.users)}
    for user, row, rating in frame.iter_rows():
        if rating >= 3.5:
            dense[user_row[user], row] = 1.0
    assert np.array_equal(rated.liked(3.5).toarray(), dense)


def test_positive_matrix_keeps_the_most_liked_columns():
    ratings = random_ratings(seed=9, rows=400)
    rated = index_ratings(ratings=ratings, index=index_of(IDS))
    full, movies = positive_matrix(ratings=rated)
    assert movies.tolist() == sorted(set(np.flatnonzero(rated.liked(3.5).sum(axis=0))))
    # The 3 movies with the most fans, ties to the lower row, by a plain sort.
    fans = dict(zip(movies.tolist(), full.toarray().sum(axis=0), strict=True))
    expected_movies = sorted(sorted(fans, key=lambda movie: (-fans[movie], movie))[:3])
    kept, kept_movies = positive_matrix(ratings=rated, max_items=3)
    assert kept_movies.tolist() == expected_movies
    columns = [movies.tolist().index(movie) for movie in expected_movies]
    assert np.array_equal(kept.toarray(), full.toarray()[:, columns])


def test_from_frame_and_split_rows_keep_each_users_ratings():
    frame = pl.DataFrame({"user_id": [5, 2, 5, 9], "row": [1, 0, 2, 1],
                          "rating": [4.0, 1.5, 3.0, 5.0]})
    rated = RatedMatrix.from_frame(frame)
    assert rated.users.tolist() == [2, 5, 9]
    assert rated.stars.toarray().tolist() == [[3, 0, 0], [0, 8, 6], [0, 10, 0]]
    assert rated.of_users(np.array([1])).frame().rows() == [(5, 1, 4.0), (5, 2, 3.0)]
    assert rated.n_users == 3
    assert rated.height == 4
