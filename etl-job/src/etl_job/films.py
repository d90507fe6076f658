"""Film identity: catalog records of one film (same normalised title, year and type) as one."""

import polars as pl
from contracts.redis_layout import FilmEntry
from contracts.titles import film_key

FILM_COLUMNS = ("id", "title", "type", "release_year", "platform", "rating_count")


def film_table(catalog: pl.DataFrame) -> pl.DataFrame:
    """Per catalog id: title, type, year, its film key, the platforms listing that film
    (sorted) and the film's ratings over all its records."""
    missing = [c for c in FILM_COLUMNS if c not in catalog.columns]
    if missing:
        raise ValueError(f"catalog frame lacks column(s) {', '.join(missing)}")
    records = catalog.select(FILM_COLUMNS).unique("id", keep="first")
    keys = [
        film_key(title or "", year, kind)
        for title, year, kind in records.select("title", "release_year", "type").iter_rows()
    ]
    records = records.with_columns(film=pl.Series(keys, dtype=pl.String))
    per_film = records.group_by("film").agg(
        available_on=pl.col("platform").unique().sort(),
        ratings=pl.col("rating_count").fill_null(0).sum().cast(pl.Int64),
    )
    return records.join(per_film, on="film", how="left").sort("id")


def films_by_title(films: pl.DataFrame) -> dict[str, list[FilmEntry]]:
    """normalise_title -> the films carrying it, the one a bare title means first: a movie
    before a show, then the most rated, then the newest."""
    grouped = (
        films.with_columns(key=pl.col("film").str.split("|").list.get(2))
        .filter(pl.col("key") != "")
        .sort("id")
        .group_by("key", "film", maintain_order=True)
        .agg("id", pl.col("type", "release_year", "ratings").first())
    )
    ordered = grouped.sort(
        [pl.col("type") != "movie", "ratings", "release_year", "film"],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    index: dict[str, list[FilmEntry]] = {}
    for key, _, ids, kind, year, ratings in ordered.iter_rows():
        index.setdefault(key, []).append(
            FilmEntry(ids=tuple(ids), type=kind, release_year=year, ratings=int(ratings or 0))
        )
    return index
