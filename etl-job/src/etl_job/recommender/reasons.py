"""Short, true reasons for a neighbour, as sentences: what the two films share, or who liked
both, with names spelled as the platforms spell them."""

import numpy as np
import polars as pl
from contracts.genres import genre_display

from etl_job.recommender.features import ContentFeatures, genre_word_lists, name_lists

MAX_NAMES = 2
MAX_GENRES = 3
MAX_WORDS = 2
LIKED_BY_SAME_VIEWERS = "Liked by the same viewers."
POPULAR = "Popular with viewers."
# For a filler nobody liked either: no more can be claimed.
ANOTHER_FILM = "Another film in the catalog."
# The columns keeping the platforms' spelling (contracts.schema.DISPLAY_COLUMNS), when present.
DISPLAY = {column: f"display_{column}" for column in ("title", "director", "cast", "listed_in")}


def genre_names(listed_in: pl.Series) -> pl.Series:
    """Each movie's genres, spelled one way across platforms ('drama' and 'dramas' agree)."""
    per_movie = name_lists(listed_in)
    display = genre_display(dict(per_movie.explode().drop_nulls().value_counts().iter_rows()))
    return per_movie.list.eval(
        pl.element().replace_strict(display, return_dtype=pl.String)
    ).list.unique(maintain_order=True)


def _shown(movies: pl.DataFrame, column: str) -> pl.Series:
    display = DISPLAY.get(column)
    if display in movies.columns:
        return movies.select(pl.coalesce(display, column)).to_series().alias(column)
    return movies[column]


def spellings(lowercase: pl.Series, shown: pl.Series) -> dict[str, str]:
    """Each lowercase name of comma-separated lists -> its platform spelling (the first seen)."""
    pairs = pl.DataFrame({"low": name_lists(lowercase), "shown": name_lists(shown, lower=False)})
    pairs = pairs.filter(pl.col("low").list.len() == pl.col("shown").list.len())
    exploded = (
        pairs.explode("low", "shown").drop_nulls().unique("low", keep="first", maintain_order=True)
    )
    return dict(exploded.iter_rows())


def _shared(column: str, limit: int) -> pl.Expr:
    """The query's names (in its own order) that the neighbour also has, at most `limit`."""
    return pl.col(column).list.set_intersection(pl.col(f"{column}_n")).list.head(limit)


def _part(label: str, names: pl.Expr) -> pl.Expr:
    """A sentence ("Same director: John Lasseter.") when there are names."""
    return pl.when(names.list.len() > 0).then(pl.lit(label) + names.list.join(", ") + pl.lit("."))


def _spelled(names: pl.Expr, spelling: dict[str, str]) -> pl.Expr:
    return names.list.eval(pl.element().replace(spelling)) if spelling else names


def shared_words(
    *, features: ContentFeatures, left: np.ndarray, right: np.ndarray, limit: int = MAX_WORDS
) -> pl.Series:
    """Per pair, the description words both films use, those weighing most in the match first."""
    products = features.description[left].multiply(features.description[right]).tocoo()
    top = (
        pl.DataFrame(
            {"pair": products.row, "term": products.col, "weight": products.data},
            schema={"pair": pl.Int64, "term": pl.Int64, "weight": pl.Float64},
        )
        .sort(["pair", "weight", "term"], descending=[False, True, False])
        .group_by("pair", maintain_order=True)
        .head(limit)
    )
    terms = np.asarray(features.description_terms, dtype=object)
    words = (
        top.with_columns(word=pl.Series(terms[top["term"].to_numpy()].tolist(), dtype=pl.String))
        .group_by("pair", maintain_order=True)
        .agg(pl.col("word"))
    )
    return (
        pl.DataFrame({"pair": np.arange(len(left), dtype=np.int64)})
        .join(words, on="pair", how="left")
        .sort("pair")["word"]
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )


def _viewers() -> pl.Expr:
    """What viewers did, when it is true: EASE with a co-like names the query, BM25 says less."""
    people = pl.lit("People who liked ") + pl.col("title") + pl.lit(" also liked this.")
    return (
        pl.when((pl.col("ease") > 0) & pl.col("co_liked"))
        .then(people)
        .when(pl.col("bm25") > 0)
        .then(pl.lit(LIKED_BY_SAME_VIEWERS))
    )


def explain(
    *,
    movies: pl.DataFrame,
    features: ContentFeatures,
    neighbours: pl.DataFrame,
    liked_rows: set[int],
) -> list[str]:
    """One reason per row of a blended frame (query, neighbour: rows of `movies`; each signal's
    share, absent for content-only lists; co_liked: someone liked both). What viewers did comes
    first when theirs is the strongest share."""
    defaults = {"ease": 0.0, "bm25": 0.0, "content": 1.0, "co_liked": False}
    absent = {name: pl.lit(value) for name, value in defaults.items() if name not in neighbours}
    neighbours = neighbours.with_columns(**absent)
    lists = pl.DataFrame(
        {
            "row": pl.int_range(0, movies.height, dtype=pl.Int32, eager=True),
            "title": _shown(movies, "title").cast(pl.String).fill_null(""),
            "genres": genre_names(movies["listed_in"]),
            "genre_words": genre_word_lists(movies["listed_in"]).list.unique().list.sort(),
            **{column: name_lists(movies[column]) for column in ("director", "cast", "country")},
        }
    )
    left, right = neighbours["query"].to_numpy(), neighbours["neighbour"].to_numpy()
    words = shared_words(features=features, left=left, right=right)
    liked = pl.Series(sorted(liked_rows), dtype=pl.Int32).implode()
    pairs = (
        neighbours.select("query", "neighbour", "ease", "bm25", "content", "co_liked")
        .with_columns(
            words=words, order=pl.int_range(0, pl.len()), liked=pl.col("neighbour").is_in(liked)
        )
        .join(lists, left_on="query", right_on="row", how="left")
        .join(lists, left_on="neighbour", right_on="row", how="left", suffix="_n")
    )
    spelled = ("director", "cast", "listed_in")
    spelling = {column: spellings(movies[column], _shown(movies, column)) for column in spelled}
    genres = _spelled(_shared("genres", MAX_GENRES), spelling["listed_in"])
    # "action" and "action & adventure" share a word, not a whole genre name.
    genres = (
        pl.when(genres.list.len() > 0)
        .then(genres)
        .otherwise(_shared("genre_words", MAX_GENRES).list.eval(pl.element().str.to_titlecase()))
    )
    content = [
        _part("Shared genres: ", genres),
        _part("Same director: ", _spelled(_shared("director", MAX_NAMES), spelling["director"])),
        _part("Shared cast: ", _spelled(_shared("cast", MAX_NAMES), spelling["cast"])),
        _part("Similar description: ", pl.col("words")),
    ]
    viewers_lead = pl.max_horizontal("ease", "bm25") > pl.col("content")
    shared = (
        pl.when(viewers_lead)
        .then(pl.concat_str([_viewers(), *content], separator=" ", ignore_nulls=True))
        .otherwise(pl.concat_str([*content, _viewers()], separator=" ", ignore_nulls=True))
    )
    # Only when nothing above is shared: the country (title-cased: it is kept lowercase only),
    # else what put the film on the list.
    country = _shared("country", MAX_NAMES).list.eval(pl.element().str.to_titlecase())
    fallback = pl.coalesce(
        _part("Same country: ", country),
        pl.when(pl.col("liked")).then(pl.lit(POPULAR)).otherwise(pl.lit(ANOTHER_FILM)),
    )
    reason = pl.when(shared.fill_null("") != "").then(shared).otherwise(fallback)
    return pairs.sort("order").select(reason=reason)["reason"].to_list()
