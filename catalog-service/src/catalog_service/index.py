"""Catalog parquet -> lookup tables, so that every query is one dict lookup or one bisect."""

import itertools
import json
import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW, DOCUMENTARY_WORDS, ContentKind
from contracts.frames import CATALOG_SCHEMA
from contracts.schema import CATALOG_COLUMNS, CATALOG_FILE, MANIFEST_FILE, SERIES_FILE
from contracts.titles import film_key, normalise_title

from catalog_service.exceptions import CatalogUnreadable
from catalog_service.records import TitleRecords

# The three filters of max-duration, in the order of MaxDurationKey; None in a key = no filter.
_DURATION_FILTERS = ("release_year", "platform", "duration_type")

MaxDurationKey = tuple[int | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """One film (or show) a normalised title stands for in the fuzzy search: the record
    standing for it (its smallest id) and the platforms listing it."""

    id: str
    title: str
    type: str
    release_year: int
    available_on: tuple[str, ...] = ()
    # The platform's own spelling, for people to read (the lowercase `title` when none).
    display_title: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """Every answer the service gives, precomputed once at start-up."""

    rows: int
    data_version: str
    # (year, platform, duration_type) with None for "any" -> title of the longest movie.
    longest_movie: dict[MaxDurationKey, str]
    # (platform, year) -> scores of those movies, ascending (nulls left out), for a bisect.
    movie_scores: dict[tuple[str, int], list[int]]
    movies_per_platform: dict[str, int]
    # (platform, year) -> most frequent cast name over all content types.
    top_cast: dict[tuple[str, int], str]
    # (kind, country, year) -> titles of that kind listing that country; only non-zero counts.
    country_production: dict[tuple[ContentKind, str, int], int]
    countries: frozenset[str]
    titles_per_rating: dict[str, int]
    records: TitleRecords
    # Distinct normalised titles (movies and shows), sorted (rapidfuzz keeps input order on
    # equal scores, so ties come out alphabetical), and the film each one means first.
    search_choices: list[str]
    search_entries: list[SearchEntry]
    # Every film of each choice, the one a bare title means first (a movie before a show,
    # the most rated, the newest): `les miserables` is the 2012 musical and the 2020 film.
    search_films: list[tuple[SearchEntry, ...]]
    # word -> positions in search_choices of the titles holding that word.
    search_words: dict[str, frozenset[int]]
    # platform -> positions in search_choices with a film on that platform.
    search_platforms: dict[str, frozenset[int]]


def read_catalog(path: Path) -> tuple[pl.DataFrame, str]:
    """Read catalog.parquet (or the run directory holding it) and the run id of its manifest."""
    parquet = path / CATALOG_FILE if path.is_dir() else path
    manifest = parquet.parent / MANIFEST_FILE
    if not parquet.is_file():
        raise CatalogUnreadable(f"CATALOG_PATH {str(path)!r}: no catalog parquet at {parquet}.")
    try:
        run_id = json.loads(manifest.read_text(encoding="utf-8"))["run_id"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogUnreadable(
            f"{manifest}: expected the ETL's manifest with a 'run_id' beside the catalog ({exc})."
        ) from exc
    try:
        frame = pl.read_parquet(parquet)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CatalogUnreadable(f"{parquet}: not a readable parquet file ({exc}).") from exc
    missing = [name for name in CATALOG_COLUMNS if name not in frame.columns]
    if missing:
        raise CatalogUnreadable(f"{parquet}: missing catalog columns {', '.join(missing)}.")
    try:
        frame = frame.select(pl.col(name).cast(dtype) for name, dtype in CATALOG_SCHEMA.items())
    except pl.exceptions.PolarsError as exc:
        raise CatalogUnreadable(f"{parquet}: a column has the wrong type ({exc}).") from exc
    return frame, str(run_id)


@dataclass
class CatalogHolder:
    """The index being served and the file it came from; swapped whole on a new ETL run."""

    index: CatalogIndex
    source: Path


def read_series(path: Path) -> pl.DataFrame | None:
    """The run's series.parquet beside the catalog (id, film, series_id, position), or None
    for a run written before the ETL found series."""
    parquet = (path if path.is_dir() else path.parent) / SERIES_FILE
    if not parquet.is_file():
        return None
    try:
        return pl.read_parquet(parquet, columns=["id", "film", "series_id", "position"])
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CatalogUnreadable(f"{parquet}: not the ETL's series parquet ({exc}).") from exc


def load_index(path: Path) -> CatalogIndex:
    """Read the catalog at `path` (and its series) and precompute every lookup table."""
    frame, run_id = read_catalog(path)
    return build_index(frame, data_version=run_id, series=read_series(path))


def series_entries(*, series: pl.DataFrame, films: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """id -> every film of its series in order (one record each: the smallest id), with its
    title, year and platforms: the `series` of a title record."""
    entry = ["id", "title", "display_title", "release_year", "available_on"]
    entries = (
        series.join(films.select(entry), on="id")
        .sort("series_id", "position", "id")
        .unique("film", keep="first", maintain_order=True)
    )
    per_series: dict[int, list[dict[str, Any]]] = {}
    for row in entries.select("series_id", *entry).iter_rows(named=True):
        per_series.setdefault(row.pop("series_id"), []).append(row)
    return {
        record: per_series[number]
        for record, number in series.select("id", "series_id").iter_rows()
        if number in per_series
    }


def build_index(
    frame: pl.DataFrame, *, data_version: str, series: pl.DataFrame | None = None
) -> CatalogIndex:
    """Precompute every lookup table from a frame in the CATALOG_COLUMNS layout (and the
    ETL's series, when the run has them)."""
    movies = frame.filter(pl.col("type") == CATALOG_TYPE_MOVIE)
    countries, production = _country_production(frame)
    films = film_table(frame)
    choices, per_choice = _search_table(films)
    words: dict[str, set[int]] = {}
    for position, choice in enumerate(choices):
        for word in choice.split():
            words.setdefault(word, set()).add(position)
    return CatalogIndex(
        rows=frame.height,
        data_version=data_version,
        longest_movie=_longest_movie(movies),
        movie_scores=_movie_scores(movies),
        movies_per_platform=dict(movies.group_by("platform").len().iter_rows()),
        top_cast=_top_cast(frame),
        country_production=production,
        countries=countries,
        titles_per_rating=dict(
            frame.filter(pl.col("rating").is_not_null()).group_by("rating").len().iter_rows()
        ),
        records=TitleRecords(
            frame.join(films.select("id", "available_on").unique("id"), on="id", how="left"),
            series=series_entries(series=series, films=films) if series is not None else {},
        ),
        search_choices=choices,
        search_entries=[found[0] for found in per_choice],
        search_films=per_choice,
        search_words={word: frozenset(positions) for word, positions in words.items()},
        search_platforms=_platform_positions(per_choice),
    )


def _longest_movie(movies: pl.DataFrame) -> dict[MaxDurationKey, str]:
    # Sorted longest first, then by title, the first row of every group is the answer,
    # ties included; one group_by per subset of the three filters (8 of them).
    ranked = movies.drop_nulls([*_DURATION_FILTERS, "duration_int", "title"]).sort(
        ["duration_int", "title"], descending=[True, False]
    )
    table: dict[MaxDurationKey, str] = {}
    if ranked.is_empty():
        return table
    for used in itertools.product((False, True), repeat=len(_DURATION_FILTERS)):
        columns = [name for name, on in zip(_DURATION_FILTERS, used, strict=True) if on]
        if not columns:
            table[(None, None, None)] = ranked.item(0, "title")
            continue
        firsts = ranked.group_by(columns, maintain_order=True).agg(pl.col("title").first())
        for row in firsts.iter_rows(named=True):
            key = tuple(row.get(name) for name in _DURATION_FILTERS)
            table[key] = row["title"]  # type: ignore[index]
    return table


def _movie_scores(movies: pl.DataFrame) -> dict[tuple[str, int], list[int]]:
    grouped = (
        movies.drop_nulls(["platform", "release_year", "score"])
        .group_by("platform", "release_year")
        .agg(pl.col("score").sort())
    )
    return {(platform, year): scores for platform, year, scores in grouped.iter_rows()}


def _top_cast(frame: pl.DataFrame) -> dict[tuple[str, int], str]:
    # Every appearance counts, so a name listed twice in one cast counts twice.
    names = (
        frame.drop_nulls(["platform", "release_year", "cast"])
        .select("platform", "release_year", pl.col("cast").str.split(",").alias("name"))
        .explode("name")
        .with_columns(pl.col("name").str.strip_chars())
        .filter(pl.col("name") != "")
    )
    best = (
        names.group_by("platform", "release_year", "name")
        .len()
        .sort(["len", "name"], descending=[True, False])
        .group_by("platform", "release_year", maintain_order=True)
        .agg(pl.col("name").first())
    )
    return {(platform, year): name for platform, year, name in best.iter_rows()}


def _country_production(
    frame: pl.DataFrame,
) -> tuple[frozenset[str], dict[tuple[ContentKind, str, int], int]]:
    documentary = "|".join(re.escape(word) for word in DOCUMENTARY_WORDS)
    per_country = (
        frame.drop_nulls(["country", "release_year"])
        .select(
            "id",
            "release_year",
            pl.col("country").str.split(","),
            (pl.col("type") == CATALOG_TYPE_MOVIE).alias(ContentKind.pelicula.value),
            (pl.col("type") == CATALOG_TYPE_SHOW).alias(ContentKind.serie.value),
            pl.col("listed_in")
            .str.contains(documentary)
            .fill_null(False)
            .alias(ContentKind.documental.value),
        )
        .explode("country")
        .with_columns(pl.col("country").str.strip_chars())
        .filter(pl.col("country") != "")
        # A title listing a country twice is still one title of that country.
        .unique(["id", "country"])
    )
    kinds = [kind.value for kind in ContentKind]
    counts = per_country.group_by("country", "release_year").agg(
        pl.col(kind).sum() for kind in kinds
    )
    production: dict[tuple[ContentKind, str, int], int] = {}
    for row in counts.iter_rows(named=True):
        for kind in ContentKind:
            if row[kind.value]:
                production[(kind, row["country"], row["release_year"])] = row[kind.value]
    return frozenset(per_country.get_column("country").unique().to_list()), production


def film_table(frame: pl.DataFrame) -> pl.DataFrame:
    """Per record: its film (contracts.titles.film_key), the platforms listing that film and
    the film's ratings over all its records."""
    keys = [
        film_key(title or "", year, kind)
        for title, year, kind in frame.select("title", "release_year", "type").iter_rows()
    ]
    records = frame.select(
        "id", "title", "display_title", "type", "release_year", "platform", "rating_count"
    ).with_columns(film=pl.Series(keys, dtype=pl.String))
    per_film = records.group_by("film").agg(
        available_on=pl.col("platform").unique().sort(),
        ratings=pl.col("rating_count").fill_null(0).sum(),
    )
    return records.join(per_film, on="film", how="left")


def _search_table(films: pl.DataFrame) -> tuple[list[str], list[tuple[SearchEntry, ...]]]:
    # One choice per normalised title; under it one entry per film, the preferred first,
    # each stood for by its smallest id (the same film on two platforms is one suggestion).
    titled = films.drop_nulls(["title", "release_year", "type"])
    entry = ["id", "title", "type", "release_year", "available_on", "display_title"]
    rows = (
        titled.with_columns(
            normalised=pl.Series([normalise_title(t) for t in titled["title"]], dtype=pl.String)
        )
        .filter(pl.col("normalised") != "")
        .sort("id")
        .group_by("normalised", "film", maintain_order=True)
        .agg(pl.col(*entry, "ratings").first())
        .sort(
            ["normalised", pl.col("type") != CATALOG_TYPE_MOVIE, "ratings", "release_year", "id"],
            descending=[False, False, True, True, False],
        )
    )
    grouped = itertools.groupby(rows.select("normalised", *entry).iter_rows(), key=itemgetter(0))
    per_choice = {
        choice: tuple(
            SearchEntry(id_, title, kind, year, tuple(on), shown)
            for _, id_, title, kind, year, on, shown in group
        )
        for choice, group in grouped
    }
    return list(per_choice), list(per_choice.values())


def _platform_positions(per_choice: list[tuple[SearchEntry, ...]]) -> dict[str, frozenset[int]]:
    positions: dict[str, set[int]] = {}
    for position, found in enumerate(per_choice):
        for entry in found:
            for platform in entry.available_on:
                positions.setdefault(platform, set()).add(position)
    return {platform: frozenset(found) for platform, found in positions.items()}
