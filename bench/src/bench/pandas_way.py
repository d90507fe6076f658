"""The obvious pandas way of the ETL's catalog fixes and ratings aggregation, for the ratio.

`python -m bench.pandas_way --data-dir DIR` prints one JSON line of seconds and row counts;
the benchmark runs it as its own process so its peak memory is its own too. A plain Polars
lazy scan + group_by of the same ratings is timed alongside as a floor.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import polars as pl
from contracts.domain import Platform

LIST_COLUMNS = ("director", "cast", "country", "listed_in")
TEXT_COLUMNS = ("show_id", "type", "title", "director", "cast", "country", "date_added",
                "release_year", "rating", "duration", "listed_in", "description", "score")
DURATION_PATTERN = r"^(\d+)\s*(min|season)s?$"


def _trim_list(cell: str) -> str:
    return ", ".join(item.strip() for item in cell.split(",") if item.strip())


def pandas_platform(path: Path, platform: Platform) -> pd.DataFrame:
    """One platform file through the same fixes as etl_job.transform, written for pandas."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [name.strip().lstrip("\ufeff").strip().lower() for name in frame.columns]
    for name in (c for c in TEXT_COLUMNS if c in frame.columns):
        cleaned = (frame[name].map(_trim_list) if name in LIST_COLUMNS
                   else frame[name].str.strip())
        frame[name] = cleaned.str.lower().replace("", None)
    year = pd.to_numeric(frame["release_year"], errors="coerce")
    valid = (frame["show_id"].notna() & frame["title"].notna()
             & frame["type"].isin(["movie", "tv show"]) & year.notna())
    frame = frame[valid].copy()
    frame["release_year"] = year[valid].astype("int32")
    frame["platform"] = platform.value
    frame["id"] = platform.id_letter + frame["show_id"]
    frame = frame.drop_duplicates("id", keep="first")
    misplaced = frame["rating"].str.match(DURATION_PATTERN).fillna(False).astype(bool)
    move = misplaced & frame["duration"].isna()
    frame.loc[move, "duration"] = frame.loc[move, "rating"]
    frame.loc[misplaced, "rating"] = None
    frame.loc[move, "rating"] = "g"
    frame["rating"] = frame["rating"].fillna("g")
    frame["date_added"] = pd.to_datetime(
        frame["date_added"].str.replace(r"\s+", " ", regex=True), format="%B %d, %Y",
        errors="coerce")
    parts = frame["duration"].str.extract(DURATION_PATTERN)
    frame["duration_int"] = pd.to_numeric(parts[0], errors="coerce").astype("Int32")
    frame["duration_type"] = parts[1]
    frame = frame.drop(columns="duration")
    if "score" in frame.columns:
        score = pd.to_numeric(frame["score"], errors="coerce")
        frame["score"] = score.where(score.between(0, 100)).astype("Int32")
        frame["score_source"] = "file"
    else:
        frame["score"] = pd.array([pd.NA] * len(frame), dtype="Int32")
        frame["score_source"] = "ratings"
    return frame


def pandas_catalog(data_dir: Path) -> pd.DataFrame:
    return pd.concat([pandas_platform(data_dir / p.source_file, p) for p in Platform],
                     ignore_index=True)


def pandas_ratings(data_dir: Path, catalog_ids: pd.Series) -> tuple[pd.DataFrame, int]:
    """read_csv of every file, concat, the same validity checks, groupby movie: count, mean."""
    files = sorted((data_dir / "ratings").glob("*.csv"))
    ratings = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    rating = pd.to_numeric(ratings["rating"], errors="coerce")
    doubled = rating * 2
    valid = (pd.to_numeric(ratings["userId"], errors="coerce").notna()
             & doubled.between(1, 10) & (doubled == doubled.round())
             & pd.to_numeric(ratings["timestamp"], errors="coerce").notna()
             & ratings["movieId"].isin(set(catalog_ids)))
    kept = ratings[valid]
    stats = kept.groupby("movieId")["rating"].agg(rating_count="count", avg_rating="mean")
    return stats.reset_index(), int(valid.sum())


def polars_floor(data_dir: Path) -> float:
    """A plain Polars lazy scan + group_by of the ratings (no checks): the floor to compare to."""
    started = time.perf_counter()
    (pl.scan_csv(data_dir / "ratings" / "*.csv")
     .group_by("movieId").agg(pl.len(), pl.col("rating").mean()).collect())
    return time.perf_counter() - started


def measure(data_dir: Path) -> dict[str, float | int]:
    started = time.perf_counter()
    catalog = pandas_catalog(data_dir)
    catalog_seconds = time.perf_counter() - started
    started = time.perf_counter()
    stats, valid = pandas_ratings(data_dir, catalog["id"])
    joined = catalog.merge(stats.rename(columns={"movieId": "id"}), on="id", how="left")
    ratings_seconds = time.perf_counter() - started
    return {"catalog_seconds": round(catalog_seconds, 3),
            "ratings_seconds": round(ratings_seconds, 3),
            "catalog_rows": len(joined), "valid_ratings": valid,
            "rated_movies": len(stats), "polars_floor_seconds": round(polars_floor(data_dir), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pandas_way", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
