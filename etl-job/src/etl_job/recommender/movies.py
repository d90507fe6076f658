"""The movies the recommender ranks: catalog rows of type movie, indexed by row number."""

from dataclasses import dataclass

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE
from contracts.titles import film_key, normalise_title

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

    @property
    def size(self) -> int:
        return len(self.ids)


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
    return MovieIndex(movies=movies, ids=movies["id"].to_list(), groups=groups)


def index_ratings(*, ratings: pl.DataFrame, index: MovieIndex) -> pl.DataFrame:
    """Ratings of catalog movies with the movie's row number: user_id, row, rating."""
    _require(ratings, REQUIRED_RATINGS_COLUMNS, "ratings")
    rows = pl.DataFrame({"movie_id": index.ids, "row": np.arange(index.size, dtype=np.int32)},
                        schema={"movie_id": pl.String, "row": pl.Int32})
    return (ratings.select(pl.col("user_id").cast(pl.Int64), pl.col("movie_id").cast(pl.String),
                           pl.col("rating").cast(pl.Float64))
            .join(rows, on="movie_id", how="inner")
            .select("user_id", "row", "rating"))
