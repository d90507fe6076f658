"""The ratings: a lazy scan over ratings/*.csv, checked row by row in Polars, never in Python."""

import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from contracts.schema import RATINGS_COLUMNS, RAW_RATINGS_REQUIRED

from etl_job.errors import InputFileMissing, RequiredColumnMissing, UnreadableInput
from etl_job.transform import POLARS_TYPES

RATINGS_SCHEMA: dict[str, pl.DataType] = {
    name: POLARS_TYPES[kind] for name, kind in RATINGS_COLUMNS.items()
}
RATINGS_GLOB = "ratings/*.csv"
_EXTRA = "_extra_fields"
_REASONS = {
    "empty_row": "empty_row: the line has no values",
    "wrong_field_count": "wrong_field_count: the line has more fields than the header",
    "missing_user_id": "missing_user_id: userId is empty",
    "bad_user_id": "bad_user_id: userId is not a 32-bit integer",
    "bad_rating": "bad_rating: rating is not a number",
    "rating_not_half_star": "rating_not_half_star: rating must be a half star from 0.5 to 5",
    "bad_timestamp": "bad_timestamp: timestamp is not an integer",
    "unknown_movie_id": "unknown_movie_id: movieId is not the id of a catalog title",
}


def ratings_files(data_dir: Path) -> list[Path]:
    """The ratings files in name order; stops the run when there are none."""
    folder = data_dir / "ratings"
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        raise InputFileMissing(data_dir / RATINGS_GLOB, "ratings files")
    return files


def ratings_header(path: Path) -> list[str]:
    """The header of a ratings file; stops the run if a required column is missing."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        try:
            header = next(csv.reader(handle), [])
        except csv.Error as exc:
            raise UnreadableInput(path, f"its header is not CSV ({exc})") from None
    names = [name.strip().lstrip("\ufeff").strip() for name in header]
    for required in RAW_RATINGS_REQUIRED:
        if required not in names:
            raise RequiredColumnMissing(path, required, names)
    return names


def scan_ratings_file(path: Path, header: list[str]) -> pl.LazyFrame:
    """One file as strings, with its line numbers; a trailing column catches ragged lines."""
    positional = {f"_c{i}": pl.String() for i in range(len(header))}
    scan = pl.scan_csv(
        path, has_header=False, skip_rows=1, schema={**positional, _EXTRA: pl.String()},
        missing_columns="insert", truncate_ragged_lines=True, encoding="utf8-lossy",
    )
    wanted = {f"_c{header.index(name)}": name for name in RAW_RATINGS_REQUIRED}
    return scan.with_row_index("line", offset=2).select(
        pl.lit(path.name).alias("source_file"),
        pl.col("line").cast(pl.Int64),
        *(pl.col(column).alias(name) for column, name in wanted.items()),
        pl.col(_EXTRA),
    )


def scan_ratings(files: list[Path]) -> pl.LazyFrame:
    """All ratings files as one lazy frame of strings."""
    return pl.concat([scan_ratings_file(path, ratings_header(path)) for path in files])


def check_ratings(raw: pl.LazyFrame, catalog_ids: pl.Series) -> pl.LazyFrame:
    """Cast every column (strict=False) and add `reason`, null for a valid rating."""
    user = pl.col("userId").str.strip_chars()
    rating = pl.col("rating").str.strip_chars().cast(pl.Float64, strict=False)
    stamp = pl.col("timestamp").str.strip_chars().cast(pl.Int64, strict=False)
    movie = pl.col("movieId").str.strip_chars().str.to_lowercase()
    typed = raw.with_columns(
        user.cast(pl.Int32, strict=False).alias("user_id"),
        movie.alias("movie_id"),
        rating.alias("_rating"),
        stamp.alias("timestamp_int"),
    )
    doubled = pl.col("_rating") * 2
    half_star = (doubled == doubled.round(0)) & doubled.is_between(1, 10)
    values = [pl.col(name) for name in RAW_RATINGS_REQUIRED]
    reason = (
        pl.when(pl.all_horizontal(value.is_null() for value in values))
        .then(pl.lit(_REASONS["empty_row"]))
        .when(pl.col(_EXTRA).is_not_null()).then(pl.lit(_REASONS["wrong_field_count"]))
        .when(user.is_null() | (user == "")).then(pl.lit(_REASONS["missing_user_id"]))
        .when(pl.col("user_id").is_null()).then(pl.lit(_REASONS["bad_user_id"]))
        .when(pl.col("_rating").is_null()).then(pl.lit(_REASONS["bad_rating"]))
        .when(~half_star).then(pl.lit(_REASONS["rating_not_half_star"]))
        .when(pl.col("timestamp_int").is_null()).then(pl.lit(_REASONS["bad_timestamp"]))
        .when(~pl.col("movie_id").is_in(catalog_ids.implode()).fill_null(False))
        .then(pl.lit(_REASONS["unknown_movie_id"]))
    )
    fields = [pl.col(name).fill_null("") for name in RAW_RATINGS_REQUIRED]
    raw = pl.concat_str([*fields, pl.col(_EXTRA)], separator=",", ignore_nulls=True)
    # Only the few refused rows keep their text, so collecting this frame stays small.
    return typed.with_columns(reason.alias("reason")).select(
        "source_file", "line", "user_id", "movie_id", "_rating", "timestamp_int", "reason",
        pl.when(pl.col("reason").is_not_null()).then(raw).alias("raw"),
    )


def valid_ratings(checked: pl.LazyFrame) -> pl.LazyFrame:
    """The accepted ratings in contracts.schema.RATINGS_COLUMNS layout."""
    return checked.filter(pl.col("reason").is_null()).select(
        pl.col("user_id").cast(RATINGS_SCHEMA["user_id"]),
        pl.col("movie_id").cast(RATINGS_SCHEMA["movie_id"]),
        pl.col("_rating").cast(RATINGS_SCHEMA["rating"]).alias("rating"),
        pl.col("timestamp_int").cast(RATINGS_SCHEMA["timestamp"]).alias("timestamp"),
    )


def refused_ratings(checked: pl.LazyFrame) -> pl.LazyFrame:
    """The refused ratings in quarantine layout, the raw line rebuilt from its fields."""
    return checked.filter(pl.col("reason").is_not_null()).select(
        "source_file", "line", "reason", "raw")


@dataclass(frozen=True)
class Ratings:
    """The outcome of one ratings ingest."""

    valid: pl.DataFrame  # RATINGS_SCHEMA
    refused: pl.DataFrame  # quarantine layout
    stats: pl.DataFrame  # movie_id, rating_count, avg_rating


def load_ratings(files: list[Path], catalog_ids: pl.Series) -> Ratings:
    """Scan, check and aggregate every ratings file in one streaming pass over the CSVs."""
    checked = check_ratings(scan_ratings(files), catalog_ids).collect(engine="streaming").lazy()
    valid = valid_ratings(checked).collect()
    return Ratings(valid=valid, refused=refused_ratings(checked).collect(),
                   stats=rating_stats(valid.lazy()).collect())


def rating_stats(ratings: pl.LazyFrame) -> pl.LazyFrame:
    """rating_count and avg_rating per movie_id."""
    return ratings.group_by("movie_id").agg(
        pl.len().cast(pl.Int32).alias("rating_count"),
        pl.col("rating").cast(pl.Float64).mean().alias("avg_rating"),
    )
