"""The movies the recommender ranks: catalog rows of type movie, indexed by row number."""

from dataclasses import dataclass

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE
from contracts.titles import film_key, normalise_title

from etl_job.transform import is_placeholder

REQUIRED_CATALOG_COLUMNS = ("id", "type", "title", "listed_in", "description", "director",
                            "cast", "country")
REQUIRED_RATINGS_COLUMNS = ("user_id", "movie_id", "rating")


@dataclass(frozen=True)
class MovieIndex:
    """Catalog movies sorted by id; row i of every matrix is movie `ids[i]`."""

    movies: pl.DataFrame
    ids: list[str]
    # groups[i] numbers the film of row i (contracts.titles.film_key): one group, one film.
    groups: np.ndarray
    # placeholder[i]: row i is a platform's test entry (etl_job.transform.is_placeholder), kept
    # in the catalog but never recommended and given no neighbours.
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
        """Catalog ids of the placeholder titles."""
        return [self.ids[row] for row in np.flatnonzero(self._placeholders())]

    def without_placeholders(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """Rows of a query/neighbour frame where neither movie is a placeholder."""
        flagged = np.flatnonzero(self._placeholders())
        if len(flagged) == 0:
            return pairs
        rows = pl.Series(flagged, dtype=pl.Int32).implode()
        return pairs.filter(~pl.col("query").is_in(rows) & ~pl.col("neighbour").is_in(rows))


def _require(frame: pl.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks column(s) {', '.join(missing)}")


def index_movies(*, catalog: pl.DataFrame, kind: str = CATALOG_TYPE_MOVIE) -> MovieIndex:
    """Keep the catalog's movies (or shows: `kind`), sorted by id, and number their films."""
    _require(catalog, REQUIRED_CATALOG_COLUMNS, "catalog")
    movies = (catalog.filter(pl.col("type").str.to_lowercase() == kind)
              .unique("id", keep="first").sort("id"))
    years = (movies["release_year"].to_list() if "release_year" in movies.columns
             else [None] * movies.height)
    # One film = same normalised title and release year (two films may share a title); an
    # empty normalised title (punctuation only) is no evidence of the same film.
    keys = [film_key(t, y, kind) if normalise_title(t or "") else f"\0{i}"
            for i, (t, y) in enumerate(zip(movies["title"].to_list(), years, strict=True))]
    numbers: dict[str, int] = {}
    groups = np.array([numbers.setdefault(key, len(numbers)) for key in keys], dtype=np.int64)
    placeholder = movies.select(is_placeholder()).to_series().fill_null(False).to_numpy()
    return MovieIndex(movies=movies, ids=movies["id"].to_list(), groups=groups,
                      placeholder=placeholder)


def index_ratings(*, ratings: pl.DataFrame, index: MovieIndex) -> pl.DataFrame:
    """Ratings of catalog movies with the movie's row number: user_id, row, rating."""
    _require(ratings, REQUIRED_RATINGS_COLUMNS, "ratings")
    rows = pl.DataFrame({"movie_id": index.ids, "row": np.arange(index.size, dtype=np.int32)},
                        schema={"movie_id": pl.String, "row": pl.Int32})
    return (ratings.select(pl.col("user_id").cast(pl.Int64), pl.col("movie_id").cast(pl.String),
                           pl.col("rating").cast(pl.Float64))
            .join(rows, on="movie_id", how="inner")
            .select("user_id", "row", "rating"))
