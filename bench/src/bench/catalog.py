"""The real catalog's movies as the generator needs them: catalog ids, genres, file score."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE, Platform
from contracts.genres import genre_words

NO_GENRE = "other"


def genre_key(name: str) -> str:
    """One key per genre across platforms (contracts.genres); a name of filler only is 'other'."""
    return " ".join(genre_words(name)) or NO_GENRE


@dataclass(frozen=True)
class CatalogMovies:
    """Movies in catalog order: ids[i] has genres genre_ids[offsets[i]:offsets[i+1]]."""

    ids: list[str]
    genres: list[str]  # genre names, most common first
    offsets: np.ndarray  # int64, len(ids) + 1
    genre_ids: np.ndarray  # int32 indices into `genres`
    score: np.ndarray  # float64, file score 1-100, NaN when absent

    @property
    def size(self) -> int:
        return len(self.ids)


def read_movies(catalog_dir: Path) -> CatalogMovies:
    """Every movie the ETL keeps: a show_id, a title, type movie, an integer year; first id wins."""
    frames = []
    for platform in Platform:
        raw = pl.read_csv(catalog_dir / platform.source_file, infer_schema=False,
                          truncate_ragged_lines=True)
        raw = raw.rename({name: name.strip().lstrip("\ufeff").strip().lower()
                          for name in raw.columns})
        score = pl.col("score") if "score" in raw.columns else pl.lit(None, pl.String)
        frames.append(raw.select(
            (pl.lit(platform.id_letter) + pl.col("show_id").str.strip_chars().str.to_lowercase())
            .alias("id"),
            pl.col("show_id").str.strip_chars().alias("show_id"),
            pl.col("title").str.strip_chars().alias("title"),
            pl.col("type").str.strip_chars().str.to_lowercase().alias("type"),
            pl.col("release_year").str.strip_chars().cast(pl.Int32, strict=False).alias("year"),
            pl.col("listed_in").fill_null("").alias("listed_in"),
            score.str.strip_chars().cast(pl.Float64, strict=False).alias("score"),
        ))
    movies = (pl.concat(frames)
              .filter((pl.col("show_id") != "") & (pl.col("title") != "")
                      & (pl.col("type") == CATALOG_TYPE_MOVIE) & pl.col("year").is_not_null())
              .unique("id", keep="first", maintain_order=True))
    if movies.is_empty():
        raise ValueError(f"{catalog_dir}: the four catalog files hold no movie")
    keys = [sorted({genre_key(part) for part in listed.split(",") if part.strip()} or {NO_GENRE})
            for listed in movies["listed_in"].to_list()]
    counts: dict[str, int] = {}
    for movie_keys in keys:
        for key in movie_keys:
            counts[key] = counts.get(key, 0) + 1
    genres = sorted(counts, key=lambda key: (-counts[key], key))
    position = {key: i for i, key in enumerate(genres)}
    lengths = np.array([len(movie_keys) for movie_keys in keys], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    genre_ids = np.array([position[key] for movie_keys in keys for key in movie_keys],
                         dtype=np.int32)
    return CatalogMovies(ids=movies["id"].to_list(), genres=genres, offsets=offsets,
                         genre_ids=genre_ids,
                         score=movies["score"].fill_null(float("nan")).to_numpy())
