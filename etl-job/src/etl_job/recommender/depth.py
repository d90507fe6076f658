"""What is stored per title: the best films overall plus the best on every platform.

The best n films on any set of platforms (n <= per_platform) are each among the best
per_platform of a platform they are on, so these lists answer every platform filter exactly.
"""

import numpy as np
import polars as pl
from contracts.domain import CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW, Platform
from contracts.redis_layout import PLATFORM_NEIGHBOURS, TOP_NEIGHBOURS
from threadpoolctl import threadpool_limits

from etl_job.recommender.audience import row_bands, suited, suited_ids
from etl_job.recommender.features import ContentFeatures, build_content_features
from etl_job.recommender.movies import MovieIndex, index_movies
from etl_job.recommender.reasons import explain
from etl_job.recommender.shows import show_neighbours
from etl_job.recommender.similarity import top_k_neighbours


def keep_for_platforms(
    *,
    neighbours: pl.DataFrame,
    films: pl.DataFrame,
    top: int = TOP_NEIGHBOURS,
    per_platform: int = PLATFORM_NEIGHBOURS,
) -> pl.DataFrame:
    """Each query's list (NEIGHBOURS_SCHEMA), one row per film (its best-ranked record), cut
    to the `top` best plus the `per_platform` best on every platform (`films`: film_table)."""
    film_of = films.select(pl.col("id").alias("neighbour_id"), "film", "available_on")
    own = films.select(pl.col("id").alias("movie_id"), pl.col("film").alias("own_film"))
    ranked = (
        neighbours.join(film_of, on="neighbour_id", how="left")
        .join(own, on="movie_id", how="left")
        .filter(pl.col("film") != pl.col("own_film"))
        .sort("movie_id", "rank")
        .unique(["movie_id", "film"], keep="first", maintain_order=True)
        .with_columns(overall=pl.int_range(1, pl.len() + 1).over("movie_id"))
    )
    on_platform = (
        ranked.select("movie_id", "overall", "available_on")
        .explode("available_on")
        .drop_nulls("available_on")
        .with_columns(place=pl.int_range(1, pl.len() + 1).over("movie_id", "available_on"))
        .filter(pl.col("place") <= per_platform)
        .select("movie_id", "overall")
        .unique()
    )
    kept = ranked.join(
        on_platform.with_columns(platform_best=pl.lit(True)), on=["movie_id", "overall"], how="left"
    )
    return (
        kept.filter((pl.col("overall") <= top) | pl.col("platform_best").fill_null(False))
        .sort("movie_id", "overall")
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("movie_id").cast(pl.Int32))
        .select(neighbours.columns)
    )


def published_lists(
    *,
    catalog: pl.DataFrame,
    movies: pl.DataFrame,
    films: pl.DataFrame,
    depth: int,
    threads: int | None = None,
) -> pl.DataFrame:
    """What the ETL publishes: movies' trained lists and shows' content lists, topped up per
    platform, cut by keep_for_platforms and explained where a reason is missing."""
    lists = []
    for kind in (CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW):
        index = index_movies(catalog=catalog, kind=kind)
        if index.size < 2:
            continue
        with threadpool_limits(limits=1, user_api="blas"):
            features = build_content_features(movies=index.movies)
            ranked = movies
            if kind == CATALOG_TYPE_SHOW:
                ranked = show_neighbours(
                    index=index, features=features, top_k=depth, threads=threads
                )
            filled = platform_fill(index=index, features=features, neighbours=ranked, films=films)
        filled = suited_ids(filled, index=index, bands=row_bands(index))
        flagged = pl.Series(index.placeholder_ids(), dtype=pl.String).implode()
        filled = filled.filter(
            ~pl.col("movie_id").is_in(flagged) & ~pl.col("neighbour_id").is_in(flagged)
        )
        kept = keep_for_platforms(neighbours=filled, films=films)
        lists.append(_explain_fill(index=index, features=features, neighbours=kept))
    return pl.concat(lists) if lists else movies.clear()


def platform_fill(
    *,
    index: MovieIndex,
    features: ContentFeatures,
    neighbours: pl.DataFrame,
    films: pl.DataFrame,
    per_platform: int = PLATFORM_NEIGHBOURS,
) -> pl.DataFrame:
    """Append to every list with fewer than `per_platform` films on a platform that platform's
    closest titles by content, after the list (scored the list's lowest x the cosine)."""
    ids = pl.Series("id", index.ids, dtype=pl.String)
    on = pl.DataFrame({"id": ids, "row": np.arange(index.size)}).join(
        films.select("id", "film", "available_on"), on="id", how="left"
    )
    counts = (
        neighbours.join(
            on.select(pl.col("id").alias("neighbour_id"), "film", "available_on"),
            on="neighbour_id",
            how="left",
        )
        .unique(["movie_id", "film"])
        .explode("available_on")
        .group_by("movie_id", "available_on")
        .len()
    )
    extra = []
    for platform in Platform:
        columns = on.filter(pl.col("available_on").list.contains(platform.value))["row"]
        enough = counts.filter(
            (pl.col("available_on") == platform.value) & (pl.col("len") >= per_platform)
        )["movie_id"]
        short = on.filter(~pl.col("id").is_in(enough.implode()))["row"].to_numpy()
        if len(columns) == 0 or len(short) == 0:
            continue
        # Twice as many: some are already on the list, some are one film.
        extra.append(
            top_k_neighbours(
                matrix=features.matrix,
                rows=short,
                columns=columns.to_numpy(),
                groups=index.groups,
                k=2 * per_platform,
                threads=1,
            )
        )
    if not extra:
        return neighbours
    found = suited(
        pl.concat(extra).unique(["query", "neighbour"], keep="first"), bands=row_bands(index)
    )
    lowest = neighbours.group_by("movie_id").agg(
        low=pl.col("score").min(), last=pl.col("rank").max()
    )
    fill = (
        pl.DataFrame(
            {
                "movie_id": ids.gather(found["query"]),
                "neighbour_id": ids.gather(found["neighbour"]),
                "content": found["score"],
            }
        )
        .with_columns(reason=pl.lit(None, dtype=pl.String))
        .join(
            neighbours.select("movie_id", "neighbour_id"),
            on=["movie_id", "neighbour_id"],
            how="anti",
        )
        .join(lowest, on="movie_id", how="left")
        .with_columns(score=pl.col("low").fill_null(1.0) * pl.col("content"))
        .sort(["movie_id", "score", "neighbour_id"], descending=[False, True, False])
        .with_columns(
            rank=pl.col("last").fill_null(0) + pl.int_range(1, pl.len() + 1).over("movie_id")
        )
    )
    return pl.concat([neighbours, fill.select(neighbours.columns).cast(neighbours.schema)]).sort(
        "movie_id", "rank"
    )


def _explain_fill(
    *, index: MovieIndex, features: ContentFeatures, neighbours: pl.DataFrame
) -> pl.DataFrame:
    """Reasons for the kept rows that have none (fill rows, shows), written after the cut."""
    missing = index.coded(neighbours, how="inner").filter(pl.col("reason").is_null())
    if missing.is_empty():
        return neighbours
    reasons = explain(movies=index.movies, features=features, neighbours=missing, liked_rows=set())
    why = pl.repeat(None, neighbours.height, dtype=pl.String, eager=True)
    why = why.scatter(missing["position"], pl.Series(reasons, dtype=pl.String))
    return neighbours.with_columns(reason=pl.coalesce("reason", pl.lit(why)))
