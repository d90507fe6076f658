"""The catalog and ratings parquet layouts the ETL writes and the services read."""

from typing import Final

SCHEMA_VERSION: Final = 1

# Column name -> logical type; the ETL casts to exactly these, readers may rely on them. The
# order is also the key order of a title record on the wire (contracts.api.TitleRead).
CATALOG_COLUMNS: Final[dict[str, str]] = {
    "id": "str",  # platform letter + show_id: as123, ds1, hs7, ns42
    "platform": "str",  # amazon | disney | hulu | netflix
    "type": "str",  # movie | tv show
    "title": "str",
    "show_id": "str",
    "director": "str",  # comma-separated, may be null
    "cast": "str",  # comma-separated, may be null
    "country": "str",  # comma-separated, may be null
    "date_added": "date",  # null when missing or unparseable
    "release_year": "int32",
    "rating": "str",  # maturity rating; null became "g"
    "age_band": "str",  # kids | family | teen | adult | unknown (contracts.audience)
    "duration_int": "int32",  # null when the source has no duration
    "duration_type": "str",  # min | season | null
    "listed_in": "str",  # comma-separated genres
    "description": "str",
    "score": "int32",  # 0-100
    "score_source": "str",  # "file" or "ratings" (mean user rating x 20)
    "rating_count": "int32",  # number of user ratings, 0 when none
    "avg_rating": "float64",  # mean user rating 0.5-5, null when none
    # The platform's own spelling of the text the columns above hold lowercased (the queries
    # compare lowercase; people read "The Lord of the Rings: The Return of the King").
    "display_title": "str",
    "display_director": "str",
    "display_cast": "str",
    "display_listed_in": "str",
    "display_description": "str",
}
# Lowercase column -> the column keeping its platform spelling.
DISPLAY_COLUMNS: Final[dict[str, str]] = {
    name: f"display_{name}" for name in ("title", "director", "cast", "listed_in", "description")
}

RATINGS_COLUMNS: Final[dict[str, str]] = {
    "user_id": "int32",
    "movie_id": "str",
    "rating": "float32",
    "timestamp": "int64",
}

# Raw inputs: every platform file must carry these; `score` is optional.
RAW_CATALOG_REQUIRED: Final = (
    "show_id",
    "type",
    "title",
    "director",
    "cast",
    "country",
    "date_added",
    "release_year",
    "rating",
    "duration",
    "listed_in",
    "description",
)
RAW_CATALOG_OPTIONAL: Final = ("score",)
RAW_RATINGS_REQUIRED: Final = ("userId", "rating", "timestamp", "movieId")

CATALOG_FILE: Final = "catalog.parquet"
RATINGS_FILE: Final = "ratings.parquet"
MANIFEST_FILE: Final = "manifest.json"
QUARANTINE_FILE: Final = "quarantine.csv"
# The model's neighbour lists (movie_id, rank, neighbour_id, score, reason): what Redis serves,
# kept with the run so `etl-job publish` can load Redis again without retraining.
NEIGHBOURS_FILE: Final = "neighbours.parquet"
# The sparse top-k of EASE's B per movie (etl_job.recommender.taste, the neighbours' layout):
# kept with the run so `etl-job publish` can load the taste rows again too.
TASTE_FILE: Final = "taste.parquet"
# The catalog's series (etl_job.recommender.series: id, film, series, position, number, size),
# found from the catalog alone: the catalog service shows each title's series from it.
SERIES_FILE: Final = "series.parquet"
CURRENT_LINK: Final = "current"  # OUTPUT_DIR/current -> runs/<run id>
