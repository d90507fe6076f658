"""The ratings: a lazy scan over ratings/*.csv, checked row by row in Polars, never in Python."""

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from contracts.frames import RATINGS_SCHEMA
from contracts.schema import RAW_RATINGS_REQUIRED

from etl_job.errors import InputFileMissing, RequiredColumnMissing, UnreadableInput
from etl_job.quarantine import empty_quarantine

RATINGS_GLOB = "ratings/*.csv"
_EXTRA = "_extra_fields"
# Reasons in the order they are checked; a refused row carries the index of its first failure.
REASONS = (
    "empty_row: the line has no values",
    "wrong_field_count: the line has more fields than the header",
    "missing_user_id: userId is empty",
    "bad_user_id: userId is not a 32-bit integer",
    "bad_rating: rating is not a number",
    "rating_not_half_star: rating must be a half star from 0.5 to 5",
    "bad_timestamp: timestamp is not an integer",
    "unknown_movie_id: movieId is not the id of a catalog title",
    "duplicate_rating: an earlier line has the same userId, movieId and timestamp",
)
UNKNOWN_MOVIE = 7
DUPLICATE = 8
RATING_STATS = (
    pl.len().cast(pl.Int32).alias("rating_count"),
    pl.col("rating").cast(pl.Float64).mean().alias("avg_rating"),
)


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
        path,
        has_header=False,
        skip_rows=1,
        schema={**positional, _EXTRA: pl.String()},
        missing_columns="insert",
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        # A first line with two fields too many made the scan raise (a SchemaError, the whole
        # run lost); the extra column already marks such lines wrong_field_count.
        extra_columns="ignore",
    )
    wanted = {f"_c{header.index(name)}": name for name in RAW_RATINGS_REQUIRED}
    return scan.with_row_index("line", offset=2).select(
        pl.lit(f"{path.parent.name}/{path.name}").alias("source_file"),  # as in the manifest
        pl.col("line").cast(pl.Int64),
        *(pl.col(column).alias(name) for column, name in wanted.items()),
        pl.col(_EXTRA),
    )


def scan_ratings(files: list[Path]) -> pl.LazyFrame:
    """All ratings files as one lazy frame of strings."""
    return pl.concat([scan_ratings_file(path, ratings_header(path)) for path in files])


def check_ratings(raw: pl.LazyFrame, catalog_ids: pl.Series) -> pl.LazyFrame:
    """Cast every column (strict=False) and add `reason_code`: null when valid, else REASONS index.

    movie_id becomes an Enum of the catalog ids: the cast is the membership test (an unknown
    id turns null) and keeps 11M ids at 4 bytes each. A small integer code instead of the
    sentence keeps the per-row work cheap; sentences are attached to refused rows only.
    """
    known = pl.Enum(catalog_ids.drop_nulls().unique().sort())
    # Each cast is computed once into a column and the checks read those columns: Polars
    # does not reuse a repeated expression chain on its own, and this is the hot loop.
    typed = raw.with_columns(
        pl.col("userId").str.strip_chars().alias("_user"),
        pl.col("rating").str.strip_chars().cast(pl.Float64, strict=False).alias("_rating"),
        pl.col("timestamp").str.strip_chars().cast(pl.Int64, strict=False).alias("timestamp_value"),
        pl.col("movieId").cast(known, strict=False).alias("movie_id"),
    ).with_columns(
        pl.col("_user").cast(RATINGS_SCHEMA["user_id"], strict=False).alias("user_id"),
        (pl.col("_rating") * 2).alias("_doubled"),
    )
    doubled = pl.col("_doubled")
    failures = (
        pl.all_horizontal(pl.col(name).is_null() for name in RAW_RATINGS_REQUIRED),
        pl.col(_EXTRA).is_not_null(),
        pl.col("_user").is_null() | (pl.col("_user") == ""),
        pl.col("user_id").is_null(),
        doubled.is_null(),
        (doubled != doubled.round(0)) | ~doubled.is_between(1, 10),
        pl.col("timestamp_value").is_null(),
        pl.col("movie_id").is_null(),
    )
    # pl, then When, then Then...: polars types no common base for the chain's links.
    code: Any = pl
    for index, failed in enumerate(failures):
        code = code.when(failed).then(pl.lit(index, pl.UInt8))
    # A valid line repeating an earlier valid line's user, movie and timestamp is refused, so
    # a rating is counted once; "earlier" is file order (files in name order).
    passed = pl.col("reason_code").is_null()
    repeated = (
        passed
        & ~pl.struct(
            passed.alias("_passed"), "user_id", "movie_id", "timestamp_value"
        ).is_first_distinct()
    )
    return (
        typed.with_columns(
            pl.col("_rating").cast(RATINGS_SCHEMA["rating"]).alias("rating_value"),
            code.alias("reason_code"),
        )
        .with_columns(
            pl.when(repeated)
            .then(pl.lit(DUPLICATE, pl.UInt8))
            .otherwise(pl.col("reason_code"))
            .alias("reason_code"),
        )
        .drop("_user", "_rating", "_doubled")
    )


def valid_ratings(checked: pl.LazyFrame) -> pl.LazyFrame:
    """The accepted ratings in contracts.schema.RATINGS_COLUMNS layout."""
    renamed = {"rating": "rating_value", "timestamp": "timestamp_value"}
    return checked.filter(pl.col("reason_code").is_null()).select(
        pl.col(renamed.get(name, name)).cast(dtype).alias(name)
        for name, dtype in RATINGS_SCHEMA.items()
    )


def refused_ratings(checked: pl.LazyFrame) -> pl.LazyFrame:
    """The refused lines in quarantine layout (file, line, reason sentence, text rebuilt), and
    `unknown_movie`: the movieId of a line refused for naming no catalog title, else null."""
    fields = [pl.col(name).fill_null("") for name in RAW_RATINGS_REQUIRED]
    text = pl.concat_str([*fields, pl.col(_EXTRA)], separator=",", ignore_nulls=True)
    reason = pl.col("reason_code").replace_strict(
        list(range(len(REASONS))), list(REASONS), return_dtype=pl.String
    )
    return checked.filter(pl.col("reason_code").is_not_null()).select(
        "source_file",
        "line",
        reason.alias("reason"),
        text.alias("raw"),
        pl.when(pl.col("reason_code") == UNKNOWN_MOVIE)
        .then(pl.col("movieId"))
        .alias("unknown_movie"),
    )


@dataclass(frozen=True)
class Ratings:
    """The outcome of one ratings ingest; the accepted rows are on disk, not in memory."""

    valid: pl.LazyFrame  # RATINGS_SCHEMA: a scan of the parquet file the load wrote
    refused: pl.DataFrame  # quarantine layout
    stats: pl.DataFrame  # movie_id, rating_count, avg_rating
    kept: int  # rows in `valid`
    # The movieId of each line refused for naming no catalog title (the vanished-movie gate).
    unknown_movies: pl.Series = field(default_factory=lambda: pl.Series("movieId", [], pl.String))

    @property
    def read(self) -> int:
        """Rating lines read: kept and refused."""
        return self.kept + self.refused.height


def scan_typed(files: list[Path], known: pl.Enum) -> pl.LazyFrame:
    """All files read with their real types: the fast path, valid only if nothing fails."""

    def one(path: Path) -> pl.LazyFrame:
        dtypes = {"userId": pl.Int32(), "rating": pl.Float64(), "timestamp": pl.Int64()}
        schema = {name: dtypes.get(name, pl.String()) for name in ratings_header(path)}
        return pl.scan_csv(path, schema=schema).select(
            pl.col("userId").alias("user_id"),
            pl.col("movieId").cast(known, strict=False).alias("movie_id"),
            pl.col("rating").alias("rating_value"),
            pl.col("timestamp").alias("timestamp_value"),
        )

    return pl.concat([one(path) for path in files])


def written(out: Path, refused: pl.DataFrame) -> Ratings:
    """The Ratings of a load whose accepted rows are in `out`: stats and count read back."""
    valid = pl.scan_parquet(out)
    per_movie = valid.group_by("movie_id").agg(*RATING_STATS)
    stats = per_movie.with_columns(pl.col("movie_id").cast(pl.String)).collect(engine="streaming")
    quarantine = refused.drop("unknown_movie") if refused.height else empty_quarantine()
    return Ratings(
        valid=valid,
        refused=quarantine,
        stats=stats,
        kept=int(stats["rating_count"].sum()),
        unknown_movies=refused["unknown_movie"].drop_nulls().alias("movieId"),
    )


def load_ratings_fast(files: list[Path], catalog_ids: pl.Series, out: Path) -> Ratings | None:
    """The ratings read typed and streamed into `out`, or None when a row needs quarantine.

    A value that does not parse, a ragged line, a null, a rating that is not a half star or
    an unknown movie id sends the whole load to the checked text path (load_ratings), which
    names every refused line; clean input, the common case, never builds a string column.
    One streaming pass over the files writes `out` (a failed check is written as a null);
    one pass over `out` finds any null and aggregates the stats, and hashes each line's
    (user, movie, timestamp): fewer distinct hashes than lines means a line may repeat another
    (or two hashes collide), and the checked path decides exactly which. Only the 8-byte
    hashes are held (88 MB at 11M ratings), never the ratings.
    """
    known = pl.Enum(catalog_ids.drop_nulls().unique().sort())
    doubled = pl.col("rating_value") * 2
    half_star = (doubled == doubled.round(0)) & doubled.is_between(1, 10)
    try:
        scan_typed(files, known).select(
            pl.col("user_id").cast(RATINGS_SCHEMA["user_id"]),
            pl.col("movie_id").cast(RATINGS_SCHEMA["movie_id"]),
            pl.when(half_star)
            .then(pl.col("rating_value"))
            .cast(RATINGS_SCHEMA["rating"])
            .alias("rating"),
            pl.col("timestamp_value").cast(RATINGS_SCHEMA["timestamp"]).alias("timestamp"),
        ).sink_parquet(out)
        written = pl.scan_parquet(out)
        summary, keys = pl.collect_all(
            [
                written.group_by("movie_id").agg(
                    *RATING_STATS, pl.any_horizontal(pl.all().is_null()).sum().alias("failed")
                ),
                written.select(pl.struct("user_id", "movie_id", "timestamp").hash().alias("key")),
            ],
            engine="streaming",
        )
    except pl.exceptions.PolarsError:
        out.unlink(missing_ok=True)
        return None
    repeats = keys.height - keys["key"].n_unique()
    del keys
    if summary["movie_id"].null_count() or summary["failed"].sum() or repeats:
        out.unlink()
        return None
    return Ratings(
        valid=pl.scan_parquet(out),
        refused=empty_quarantine(),
        stats=summary.drop("failed"),
        kept=int(summary["rating_count"].sum()),
    )


def load_ratings(files: list[Path], catalog_ids: pl.Series, out: Path) -> Ratings:
    """Scan, check and write every ratings file into `out` (parquet), aggregating as it goes.

    Typed in one pass when all is clean; otherwise every column is read as text and checked,
    the accepted rows streamed into `out` and a second pass keeps the refused rows' file, line
    and text (the only rows held in memory).
    """
    fast = load_ratings_fast(files, catalog_ids, out)
    if fast is not None:
        return fast
    checked = check_ratings(scan_ratings(files), catalog_ids)
    valid_ratings(checked).sink_parquet(out)
    refused = refused_ratings(checked).collect(engine="streaming")
    return written(out, refused)
