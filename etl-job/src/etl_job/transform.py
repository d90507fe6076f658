"""The catalog transformations, one pure function each, applied to one platform's frame.

Each fix returns the new frame and how many rows or cells it changed, so the manifest can
count it; each rejection returns the kept rows and the refused ones in quarantine layout.
"""

import polars as pl
from contracts.audience import RATING_BANDS, AgeBand
from contracts.domain import CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW, YEAR_MAX, YEAR_MIN
from contracts.frames import CATALOG_SCHEMA
from contracts.schema import DISPLAY_COLUMNS, RAW_CATALOG_OPTIONAL, RAW_CATALOG_REQUIRED

LIST_COLUMNS = ("director", "cast", "country", "listed_in")
PEOPLE_COLUMNS = ("director", "cast")
SOURCE_COLUMNS = (*RAW_CATALOG_REQUIRED, *RAW_CATALOG_OPTIONAL)
DATE_FORMAT = "%B %d, %Y"  # "September 25, 2021"
# A duration, as found in `duration` and sometimes by mistake in `rating`: "74 min", "2 seasons".
DURATION_PATTERN = r"^(\d+)\s*(min|season)s?$"
SCORE_RANGE = (0, 100)
# The written rule for a platform's test entries (amazon carries "Title before 1C onboarding - 5",
# "Clip: ACT 4 - Title after removing 1C - 2", "testing title - ..." with director and cast "1"
# and a description that is the title or a number): a title naming the "1C" onboarding, an
# "act N - title|series" clip, or a test title; or a description that says it is a test or a
# template synopsis. They stay in the catalog (every query counts them) but are never
# recommended and get no neighbours. Checked against every match in the four real files.
PLACEHOLDER_TITLE = (
    r"\b1c\b|\bonboarding\b|^(clip: )?act \d+ - (title|series)\b"
    r"|^test(ing)? title\b|\btest title\b"
)
PLACEHOLDER_DESCRIPTION = r"^(test (movie|season)\b|this is the synopsis for)"

Fixed = tuple[pl.DataFrame, int]
Split = tuple[pl.DataFrame, pl.DataFrame]


def _present(frame: pl.DataFrame, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in frame.columns]


def _to_quarantine(refused: pl.DataFrame, reason: pl.Expr) -> pl.DataFrame:
    return refused.select("source_file", "line", reason.alias("reason"), "raw")


def trim_whitespace(frame: pl.DataFrame) -> Fixed:
    """Trim every source cell and every item of the comma-separated lists; empty becomes null.

    Counts the non-empty cells whose text changed.
    """
    columns = _present(frame, SOURCE_COLUMNS)
    cleaned = {
        name: (
            pl.col(name)
            .str.split(",")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element() != ""))
            .list.join(", ")
            if name in LIST_COLUMNS
            else pl.col(name).str.strip_chars()
        )
        for name in columns
    }
    staged = frame.with_columns(expr.alias(f"_{name}") for name, expr in cleaned.items())
    changed = staged.select(
        pl.sum_horizontal(
            (pl.col(name).ne_missing(pl.col(f"_{name}")) & (pl.col(name) != "")).sum()
            for name in cleaned
        )
    ).item()
    fixed = staged.with_columns(
        pl.when(pl.col(f"_{name}") != "").then(pl.col(f"_{name}")).alias(name) for name in cleaned
    ).drop(f"_{name}" for name in cleaned)
    return fixed, int(changed or 0)


def drop_names_without_letters(frame: pl.DataFrame) -> Fixed:
    """Remove director/cast items with no letter ("1" is listed as an actor 35 times on amazon).

    Counts the items removed; a list left empty becomes null.
    """
    columns = _present(frame, PEOPLE_COLUMNS)
    has_letter = pl.element().str.contains(r"[^\W\d_]")
    items = {name: pl.col(name).str.split(", ") for name in columns}
    removed = (
        frame.select(
            pl.sum_horizontal(
                expr.list.eval(has_letter.not_()).list.sum().fill_null(0).sum()
                for expr in items.values()
            )
        ).item()
        if columns
        else 0
    )
    kept = {
        name: expr.list.eval(pl.element().filter(has_letter)).list.join(", ")
        for name, expr in items.items()
    }
    fixed = frame.with_columns(
        pl.when(expr != "").then(expr).alias(name) for name, expr in kept.items()
    )
    return fixed, int(removed or 0)


def keep_display_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Copy the text people read (title, names, genres, description) in the platform's own
    spelling, before lowercase_text folds the columns the queries compare."""
    return frame.with_columns(
        pl.col(name).alias(display)
        for name, display in DISPLAY_COLUMNS.items()
        if name in frame.columns
    )


def lowercase_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Lowercase every text field, titles and names included."""
    return frame.with_columns(pl.col(_present(frame, SOURCE_COLUMNS)).str.to_lowercase())


def reject_invalid_rows(frame: pl.DataFrame) -> Split:
    """Refuse rows without show_id/title/type, with another type, or a non-integer release_year."""
    year = pl.col("release_year").cast(pl.Int32, strict=False)
    reason = (
        pl.when(pl.col("show_id").is_null())
        .then(pl.lit("missing_show_id: show_id is empty"))
        .when(pl.col("title").is_null())
        .then(pl.lit("missing_title: title is empty"))
        .when(pl.col("type").is_null())
        .then(pl.lit("missing_type: type is empty"))
        .when(~pl.col("type").is_in([CATALOG_TYPE_MOVIE, CATALOG_TYPE_SHOW]))
        .then(pl.format("bad_type: type '{}' is not movie or tv show", pl.col("type")))
        .when(year.is_null())
        .then(
            pl.format(
                "bad_release_year: release_year '{}' is not an integer",
                pl.col("release_year").fill_null(""),
            )
        )
    )
    marked = frame.with_columns(reason.alias("_reason"))
    kept = marked.filter(pl.col("_reason").is_null()).drop("_reason")
    refused = marked.filter(pl.col("_reason").is_not_null())
    return kept.with_columns(year.alias("release_year")), _to_quarantine(refused, pl.col("_reason"))


def is_placeholder() -> pl.Expr:
    """True for a platform's test entry by PLACEHOLDER_TITLE / PLACEHOLDER_DESCRIPTION."""
    title = pl.col("title").str.to_lowercase().str.contains(PLACEHOLDER_TITLE)
    description = (
        pl.col("description")
        .str.to_lowercase()
        .str.contains(PLACEHOLDER_DESCRIPTION)
        .fill_null(False)
    )
    return (title.fill_null(False) | description).alias("placeholder")


def count_placeholders(frame: pl.DataFrame) -> int:
    """How many rows are placeholder titles (flagged, kept: see is_placeholder)."""
    return int(frame.select(is_placeholder().sum()).item())


def add_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """id = first letter of the platform + show_id: amazon s123 -> as123."""
    return frame.with_columns(
        pl.concat_str(pl.col("platform").str.slice(0, 1), pl.col("show_id")).alias("id")
    )


def drop_duplicate_ids(frame: pl.DataFrame) -> Split:
    """Keep the first row of each id (file order); refuse the later ones."""
    ordered = frame.sort("line")
    first = pl.col("id").is_first_distinct()
    refused = ordered.filter(~first).join(
        ordered.filter(first).select("id", pl.col("line").alias("_first_line")), on="id"
    )
    reason = pl.format("duplicate_id: id {} already came at line {}", "id", "_first_line")
    return ordered.filter(first), _to_quarantine(refused, reason)


def add_age_band(frame: pl.DataFrame) -> pl.DataFrame:
    """`age_band` from the platform's own rating (contracts.audience), before a missing or
    misplaced rating becomes `g`: a title the platform did not rate is `unknown`, not kids'."""
    bands = {spelling: band.value for spelling, band in RATING_BANDS.items()}
    return frame.with_columns(
        age_band=pl.col("rating").replace_strict(
            bands, default=AgeBand.UNKNOWN.value, return_dtype=pl.String
        )
    )


def move_duration_from_rating(frame: pl.DataFrame) -> Fixed:
    """Where `rating` holds a duration ("74 min") and `duration` is empty, move it; rating -> g.

    A duration in `rating` next to a filled `duration` is no maturity rating either: it is
    emptied here and becomes `g` (and is counted) in fill_missing_rating.
    """
    misplaced = pl.col("rating").str.contains(DURATION_PATTERN).fill_null(False)
    move = misplaced & pl.col("duration").is_null()
    moved = int(frame.select(move.sum()).item())
    fixed = frame.with_columns(
        pl.when(move).then(pl.col("rating")).otherwise(pl.col("duration")).alias("duration"),
        pl.when(move)
        .then(pl.lit("g"))
        .when(misplaced)
        .then(None)
        .otherwise(pl.col("rating"))
        .alias("rating"),
    )
    return fixed, moved


def fill_missing_rating(frame: pl.DataFrame) -> Fixed:
    """A null maturity rating becomes `g`."""
    missing = int(frame["rating"].null_count())
    return frame.with_columns(pl.col("rating").fill_null("g")), missing


def parse_dates(frame: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """date_added "September 25, 2021" -> Date; returns (frame, unparseable, missing)."""
    text = pl.col("date_added").str.replace_all(r"\s+", " ")
    # "September 25, 0" parses as the year 0, which Python's dates (every reader of the
    # catalog) cannot hold: a year outside the domain's range is as unparseable as "soon".
    day = text.str.to_date(DATE_FORMAT, strict=False)
    parsed = pl.when(day.dt.year().is_between(YEAR_MIN, YEAR_MAX)).then(day)
    counts = frame.select(
        (pl.col("date_added").is_not_null() & parsed.is_null()).sum().alias("bad"),
        pl.col("date_added").is_null().sum().alias("missing"),
    ).row(0)
    return frame.with_columns(parsed.alias("date_added")), int(counts[0]), int(counts[1])


def split_duration(frame: pl.DataFrame) -> Fixed:
    """duration "2 seasons" -> duration_int 2, duration_type season; returns unparseable count."""
    groups = pl.col("duration").str.extract_groups(DURATION_PATTERN)
    split = frame.with_columns(
        groups.struct.field("1").cast(pl.Int32, strict=False).alias("duration_int"),
        groups.struct.field("2").alias("duration_type"),
    )
    bad = int(
        split.select(
            (pl.col("duration").is_not_null() & pl.col("duration_type").is_null()).sum()
        ).item()
    )
    return split.drop("duration"), bad


def parse_score(frame: pl.DataFrame) -> Fixed:
    """score -> Int32 in 0-100, else null (counted); without a score column, null for now."""
    if "score" not in frame.columns:
        return frame.with_columns(
            pl.lit(None, pl.Int32).alias("score"), pl.lit("ratings").alias("score_source")
        ), 0
    low, high = SCORE_RANGE
    value = pl.col("score").cast(pl.Int32, strict=False)
    valid = value.is_between(low, high).fill_null(False)
    bad = int(frame.select((pl.col("score").is_not_null() & ~valid).sum()).item())
    fixed = frame.with_columns(
        pl.when(valid).then(value).alias("score"), pl.lit("file").alias("score_source")
    )
    return fixed, bad


def join_rating_stats(frame: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """Add rating_count (0 when none) and avg_rating (null when none) from per-movie stats."""
    per_id = stats.rename({"movie_id": "id"})
    joined = frame.join(per_id, on="id", how="left", maintain_order="left")
    return joined.with_columns(
        pl.col("rating_count").fill_null(0).cast(pl.Int32), pl.col("avg_rating").cast(pl.Float64)
    )


def derive_score(frame: pl.DataFrame) -> Fixed:
    """Where score_source is `ratings`: score = mean user rating x 20, rounded half away from 0."""
    derive = pl.col("score_source") == "ratings"
    derived = (pl.col("avg_rating") * 20).round(0, mode="half_away_from_zero").cast(pl.Int32)
    count = int(frame.select((derive & pl.col("avg_rating").is_not_null()).sum()).item())
    score = pl.when(derive).then(derived).otherwise("score").alias("score")
    return frame.with_columns(score), count


def to_catalog_schema(frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly contracts.schema.CATALOG_COLUMNS, in that order and with those types."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in CATALOG_SCHEMA.items())
