"""The movies the recommender ranks: catalog rows of type movie, indexed by row number."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE
from contracts.titles import film_key, normalise_title
from scipy import sparse

from etl_job.transform import is_placeholder

REQUIRED_CATALOG_COLUMNS = (
    "id",
    "type",
    "title",
    "listed_in",
    "description",
    "director",
    "cast",
    "country",
)
REQUIRED_RATINGS_COLUMNS = ("user_id", "movie_id", "rating")
NEIGHBOURS_SCHEMA = pl.Schema(
    {
        "movie_id": pl.String(),
        "rank": pl.Int32(),
        "neighbour_id": pl.String(),
        "score": pl.Float64(),
        "reason": pl.String(),
    }
)


@dataclass(frozen=True)
class MovieIndex:
    """Catalog movies sorted by id; row i of every matrix is movie `ids[i]`."""

    movies: pl.DataFrame
    ids: list[str]
    # groups[i] numbers the film of row i (contracts.titles.film_key).
    groups: np.ndarray
    # placeholder[i]: row i is a platform's test entry, never recommended nor given neighbours.
    placeholder: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.ids)

    def _placeholders(self) -> np.ndarray:
        if self.placeholder is None:
            return np.zeros(self.size, dtype=bool)
        return self.placeholder

    def recommendable_rows(self) -> np.ndarray:
        """Rows of every movie that gets neighbours and may be one: all but placeholders."""
        return np.flatnonzero(~self._placeholders()).astype(np.int64)

    def without_placeholder_rows(self, rows: np.ndarray) -> np.ndarray:
        """`rows` in order, placeholder rows left out."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows[~self._placeholders()[rows]]

    def placeholder_ids(self) -> list[str]:
        return [self.ids[row] for row in np.flatnonzero(self._placeholders())]

    def without_placeholders(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """Rows of a query/neighbour frame where neither movie is a placeholder."""
        rows = pl.Series(np.flatnonzero(self._placeholders()), dtype=pl.Int32).implode()
        return pairs.filter(~pl.col("query").is_in(rows) & ~pl.col("neighbour").is_in(rows))

    def coded(self, lists: pl.DataFrame, how: Literal["inner", "left"] = "left") -> pl.DataFrame:
        """A movie_id/neighbour_id frame with their rows (query, neighbour) and its `position`."""
        rows = pl.DataFrame({"id": self.ids, "row": np.arange(self.size, dtype=np.int32)})
        return (
            lists.with_columns(position=pl.int_range(0, pl.len()))
            .join(rows.select(movie_id="id", query="row"), on="movie_id", how=how)
            .join(rows.select(neighbour_id="id", neighbour="row"), on="neighbour_id", how=how)
            .sort("position")
        )

    def published(self, ranked: pl.DataFrame, reasons: list[str] | None = None) -> pl.DataFrame:
        """query/neighbour/score rows (best first) as NEIGHBOURS_SCHEMA rows, ranked from 1."""
        ids = pl.Series("id", self.ids, dtype=pl.String)
        return pl.DataFrame(
            {
                "movie_id": ids.gather(ranked["query"]),
                "rank": ranked.select(rank=pl.int_range(1, pl.len() + 1).over("query"))["rank"],
                "neighbour_id": ids.gather(ranked["neighbour"]),
                "score": ranked["score"],
                "reason": pl.Series(reasons or [None] * ranked.height, dtype=pl.String),
            }
        ).cast(NEIGHBOURS_SCHEMA)


def _require(names: list[str], columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise ValueError(f"{name} frame lacks column(s) {', '.join(missing)}")


def index_movies(*, catalog: pl.DataFrame, kind: str = CATALOG_TYPE_MOVIE) -> MovieIndex:
    """Keep the catalog's movies (or shows: `kind`), sorted by id, and number their films."""
    _require(catalog.columns, REQUIRED_CATALOG_COLUMNS, "catalog")
    movies = (
        catalog.filter(pl.col("type").str.to_lowercase() == kind)
        .unique("id", keep="first")
        .sort("id")
    )
    years = (
        movies["release_year"].to_list()
        if "release_year" in movies.columns
        else [None] * movies.height
    )
    # An empty normalised title (punctuation only) is no evidence of the same film.
    keys = [
        film_key(t, y, kind) if normalise_title(t or "") else f"\0{i}"
        for i, (t, y) in enumerate(zip(movies["title"].to_list(), years, strict=True))
    ]
    numbers: dict[str, int] = {}
    groups = np.array([numbers.setdefault(key, len(numbers)) for key in keys], dtype=np.int64)
    placeholder = movies.select(is_placeholder()).to_series().fill_null(False).to_numpy()
    return MovieIndex(
        movies=movies, ids=movies["id"].to_list(), groups=groups, placeholder=placeholder
    )


# Ratings turned into matrix entries per chunk: the build's transient stays ~30 MB.
CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class RatedMatrix:
    """Every rating of a catalog movie: users (ascending) x movie rows, in half stars (uint8,
    5 bytes a rating against a frame's 20-32); a movie rated twice keeps both entries."""

    users: np.ndarray
    stars: sparse.csr_matrix

    @property
    def height(self) -> int:
        return int(self.stars.nnz)

    @property
    def n_users(self) -> int:
        """Users with at least one rating."""
        return int(np.count_nonzero(np.diff(self.stars.indptr)))

    @property
    def n_movies(self) -> int:
        return int(self.stars.shape[1])

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> "RatedMatrix":
        """From a user_id, row, rating frame (tests, small inputs)."""
        ids = [str(row) for row in range(int(frame["row"].to_numpy().max(initial=-1)) + 1)]
        index = MovieIndex(movies=pl.DataFrame({"id": ids}), ids=ids, groups=np.arange(len(ids)))
        return index_ratings(
            ratings=frame.with_columns(movie_id=pl.col("row").cast(pl.String)), index=index
        )

    def frame(self, threshold: float | None = None) -> pl.DataFrame:
        """The ratings (at least `threshold` when given) as user_id, row, rating, user-major."""
        keep: slice | np.ndarray = (
            slice(None) if threshold is None else self.stars.data >= np.float32(2 * threshold)
        )
        owners = np.repeat(np.arange(len(self.users)), np.diff(self.stars.indptr))
        return pl.DataFrame(
            {
                "user_id": self.users[owners[keep]],
                "row": self.stars.indices[keep].astype(np.int32),
                "rating": self.stars.data[keep].astype(np.float32) / np.float32(2),
            },
            schema={"user_id": pl.Int64, "row": pl.Int32, "rating": pl.Float32},
        )

    def of_users(self, rows: np.ndarray) -> "RatedMatrix":
        """The ratings of the users at matrix rows `rows` (ascending)."""
        rows = np.asarray(rows, dtype=np.int64)
        return RatedMatrix(users=self.users[rows], stars=self.stars[rows])

    def per_movie(self, threshold: float, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per movie row (`size`, default every column): ratings >= `threshold`, all ratings."""
        size = self.n_movies if size is None else size
        liked = self.stars.indices[self.stars.data >= np.float32(2 * threshold)]
        return (
            np.bincount(liked, minlength=size)[:size],
            np.bincount(self.stars.indices, minlength=size)[:size],
        )

    def liked(self, threshold: float) -> sparse.csr_matrix:
        """Users x movie rows, 1.0 (float32) where rated `threshold` or more (once per pair),
        built from a mask and its running count, without a copy of every rating."""
        mask = self.stars.data >= np.float32(2 * threshold)
        kept = np.zeros(len(mask) + 1, dtype=np.int64 if len(mask) >= 2**31 else np.int32)
        np.cumsum(mask, dtype=kept.dtype, out=kept[1:])
        indptr = kept[self.stars.indptr]
        del kept
        indices = self.stars.indices[mask]
        del mask
        matrix = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=self.stars.shape
        )
        if not matrix.has_canonical_format:
            matrix.sum_duplicates()
            matrix.data[:] = 1.0
        return matrix


def index_ratings(
    *,
    ratings: pl.DataFrame | pl.LazyFrame | RatedMatrix,
    index: MovieIndex,
    chunk_rows: int = CHUNK_ROWS,
) -> RatedMatrix:
    """The ratings (user_id, movie_id, rating; lazy is fine) of catalog movies as a
    RatedMatrix: one streaming pass counts each user's ratings, a second places `chunk_rows` at
    a time, so no frame of every rating is held. A RatedMatrix is returned as it is."""
    if isinstance(ratings, RatedMatrix):
        if ratings.n_movies != index.size:
            raise ValueError(
                f"the ratings matrix has {ratings.n_movies} movie columns, the "
                f"index {index.size} movies"
            )
        return ratings
    frame = ratings.lazy()
    _require(frame.collect_schema().names(), REQUIRED_RATINGS_COLUMNS, "ratings")
    movies = pl.Enum(index.ids)

    def coded(part: pl.LazyFrame) -> pl.LazyFrame:
        return part.select(
            pl.col("user_id").cast(pl.Int64),
            pl.col("movie_id")
            .cast(pl.String)
            .cast(movies, strict=False)
            .to_physical()
            .cast(pl.Int32)
            .alias("row"),
            pl.col("rating"),
        ).filter(pl.col("row").is_not_null())

    per_user = coded(frame).group_by("user_id").len().sort("user_id").collect(engine="streaming")
    inputs = frame.select(pl.len()).collect(engine="streaming").item()
    users = per_user["user_id"].to_numpy()
    indptr = np.zeros(len(users) + 1, dtype=np.int64)
    np.cumsum(per_user["len"].to_numpy(), out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    stars = np.empty(int(indptr[-1]), dtype=np.uint8)
    filled = indptr[:-1].copy()
    for start in range(0, inputs, chunk_rows):
        chunk = coded(frame.slice(start, chunk_rows)).collect()
        codes = np.searchsorted(users, chunk["user_id"].to_numpy())
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        # Within the chunk, each entry's place among its user's: position - first position.
        places = filled[codes] + (np.arange(len(codes)) - np.searchsorted(codes, codes))
        indices[places] = chunk["row"].to_numpy()[order]
        halves = np.rint(chunk["rating"].to_numpy().astype(np.float64)[order] * 2)
        stars[places] = halves.astype(np.uint8)
        filled += np.bincount(codes, minlength=len(users))
    return RatedMatrix(
        users=users,
        stars=sparse.csr_matrix((stars, indices, indptr), shape=(len(users), index.size)),
    )
