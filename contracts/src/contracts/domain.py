"""Domain values the public API accepts, with the spellings users may type."""

import enum
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from contracts.titles import normalise_title

TITLE_MAX_CHARS = 200
# What a search box takes: the longest catalog title has 98 characters.
SEARCH_MAX_CHARS = 100
YEAR_MIN = 1900
YEAR_MAX = 2100
SCORE_MIN = 0
SCORE_MAX = 100


class Platform(enum.StrEnum):
    amazon = "amazon"
    disney = "disney"
    hulu = "hulu"
    netflix = "netflix"

    @property
    def id_letter(self) -> str:
        """The letter put before a show_id to make a catalog id: s123 on amazon -> as123."""
        return self.value[0]

    @property
    def source_file(self) -> str:
        return _SOURCE_FILES[self]


_SOURCE_FILES = {
    Platform.amazon: "amazon_prime_titles.csv",
    Platform.disney: "disney_plus_titles.csv",
    Platform.hulu: "hulu_titles.csv",
    Platform.netflix: "netflix_titles.csv",
}


class DurationType(enum.StrEnum):
    min = "min"
    season = "season"


class ContentKind(enum.StrEnum):
    """The `tipo` of prod_per_county; the value is the Spanish key of the answer."""

    pelicula = "pelicula"
    serie = "serie"
    documental = "documental"

    @property
    def english(self) -> str:
        """The name the internal APIs use: movie, series or documentary."""
        return _ENGLISH_KINDS[self]


_ENGLISH_KINDS = {
    ContentKind.pelicula: "movie",
    ContentKind.serie: "series",
    ContentKind.documental: "documentary",
}

CONTENT_KIND_ALIASES: dict[str, ContentKind] = {
    "pelicula": ContentKind.pelicula,
    "película": ContentKind.pelicula,
    "movie": ContentKind.pelicula,
    "serie": ContentKind.serie,
    "series": ContentKind.serie,
    "tv show": ContentKind.serie,
    "documental": ContentKind.documental,
    "documentary": ContentKind.documental,
}

CATALOG_TYPE_MOVIE = "movie"
CATALOG_TYPE_SHOW = "tv show"
# `listed_in` words that make a title a documentary for prod_per_county.
DOCUMENTARY_WORDS = ("documentaries", "documentary", "docuseries")


def casefold_text(value: object) -> object:
    """Lowercase and trim strings; leave anything else for the validator to reject."""
    return value.strip().lower() if isinstance(value, str) else value


def platform_list(value: object) -> object:
    """`platform=netflix&platform=hulu` or `platform=netflix,hulu` (or both): one list, each
    platform once; anything that is not text is left for the validator to reject."""
    values = value if isinstance(value, list) else [value]
    pieces: list[object] = []
    for item in values:
        pieces.extend(item.split(",") if isinstance(item, str) else [item])
    # Kept in order, each once; compared with == (a JSON object is unhashable: a dict key
    # would turn `"platform": [{}]` into a 500 instead of the validator's 422).
    once: list[object] = []
    for piece in map(casefold_text, pieces):
        if piece not in once:
            once.append(piece)
    return once


def platform_param(platforms: Iterable[str] | None) -> str | None:
    """Platforms as the one comma-separated parameter platform_list reads (None: not sent)."""
    return ",".join(sorted(platforms)) if platforms else None


def title_type(value: object) -> object:
    """`movie`, or `tv show` in the spellings prod_per_county accepts (`serie`, `series`)."""
    folded = casefold_text(value)
    kind = CONTENT_KIND_ALIASES.get(folded) if isinstance(folded, str) else None
    if kind is ContentKind.pelicula:
        return CATALOG_TYPE_MOVIE
    if kind is ContentKind.serie:
        return CATALOG_TYPE_SHOW
    return value


def content_kind(value: object) -> object:
    folded = casefold_text(value)
    return CONTENT_KIND_ALIASES.get(folded, value) if isinstance(folded, str) else value


# Annotated types the services use for query parameters: forgiving of case and spaces,
# strict about everything else (a bad value becomes a 422 naming the accepted values).
PlatformParam = Annotated[Platform, BeforeValidator(casefold_text)]
DurationTypeParam = Annotated[DurationType, BeforeValidator(casefold_text)]
ContentKindParam = Annotated[ContentKind, BeforeValidator(content_kind)]
YearParam = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
# Platforms as a repeatable or comma-separated parameter; at most the four there are.
PlatformListParam = Annotated[list[Platform], BeforeValidator(platform_list)]
TitleType = Literal["movie", "tv show"]
TitleTypeParam = Annotated[TitleType, BeforeValidator(title_type)]
ScoreParam = Annotated[int, Field(ge=SCORE_MIN, le=SCORE_MAX)]
# The schema says what strip + min_length enforce: something besides white space.
TextParam = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": r"\S"}),
]


def has_words(value: str) -> str:
    """A title with a letter or digit somewhere (in any script): titles are compared
    normalised, and one that normalises to nothing could match nothing."""
    if not normalise_title(value):
        raise PydanticCustomError(
            "no_words", "Input should contain a letter or digit (in any script) to name a title"
        )
    return value


# What has_words demands, as the schema says it: a Unicode letter or digit somewhere (a JSON
# Schema regex with Unicode property escapes, so CJK, Cyrillic or accented titles are valid).
WORDS_PATTERN = r"[\p{L}\p{N}]"
# A title as a user types it: trimmed; white space or punctuation alone is refused in the
# project's words (has_words), never as "at least 1 character".
TitleText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=TITLE_MAX_CHARS),
    AfterValidator(has_words),
    Field(json_schema_extra={"pattern": WORDS_PATTERN}),
]
# What a search box sends: a title or its start, under the same rule.
TitleStart = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=SEARCH_MAX_CHARS),
    AfterValidator(has_words),
    Field(json_schema_extra={"pattern": WORDS_PATTERN}),
]
