"""Wire shapes of the internal APIs, defined once: the writer and the reader both import them."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from contracts.audience import MaxAge
from contracts.domain import Platform, PlatformListParam, TitleText, YearParam, platform_param
from contracts.titles import normalise_title

# The taste request's bounds (the gateway's POST /recommendations, recsys' POST /v1/taste).
MAX_LIKED = 20
MAX_TASTE_ITEMS = 50


class SeriesEntryRead(BaseModel):
    """One film of a title's series, in release order, and where it streams."""

    id: str = Field(examples=["ds627"])
    title: str = Field(examples=["toy story 4"])
    release_year: int | None = Field(default=None, examples=[2019])
    available_on: list[str] = Field(default_factory=list, examples=[["disney"]])
    # The platform's own spelling of the title, for people to read.
    display_title: str | None = Field(default=None, examples=["Toy Story 4"])


class TitleRead(BaseModel):
    """One catalog record: every column of contracts.schema.CATALOG_COLUMNS, in that order.

    The order is also the key order on the wire (GET /v1/titles/{id}, the gateway's title
    page); tests/contracts checks the fields against the column list and its logical types.
    """

    id: str = Field(examples=["ns42"])
    platform: str = Field(examples=["netflix"])
    type: str = Field(examples=["movie"])
    title: str = Field(examples=["jaws"])
    show_id: str = Field(examples=["s42"])
    director: str | None = None
    cast: str | None = None
    country: str | None = None
    date_added: datetime.date | None = Field(default=None, examples=["2021-09-16"])
    release_year: int = Field(examples=[1975])
    rating: str | None = Field(default=None, examples=["pg"])
    # Who the title is for, from its rating (contracts.audience); unknown when unrated.
    age_band: str | None = Field(default=None, examples=["family"])
    duration_int: int | None = Field(default=None, examples=[124])
    duration_type: str | None = Field(default=None, examples=["min"])
    listed_in: str | None = None
    description: str | None = None
    score: int | None = Field(default=None, examples=[87])
    score_source: str | None = None
    rating_count: int | None = None
    avg_rating: float | None = None
    # The platform's own spelling of title, names, genres and description, for people to read.
    display_title: str | None = Field(default=None, examples=["Jaws"])
    display_director: str | None = None
    display_cast: str | None = None
    display_listed_in: str | None = None
    display_description: str | None = None
    # The platforms listing this film (same normalised title, release year and type).
    available_on: list[str] = Field(default_factory=list, examples=[["hulu", "netflix"]])
    # Every film of its series in order, this one included (empty: not part of a series).
    series: list[SeriesEntryRead] = Field(default_factory=list)


class MaxDurationRead(BaseModel):
    """GET /v1/max-duration."""

    title: str = Field(examples=["soothing surf at del norte for sleep black screen"])


class CountRead(BaseModel):
    """GET /v1/score-count, /v1/count-platform, /v1/contents."""

    count: int = Field(ge=0, examples=[15])


class ActorRead(BaseModel):
    """GET /v1/actor."""

    name: str = Field(examples=["anupam kher"])


ContentKindName = Literal["movie", "series", "documentary"]


class CountryProductionRead(BaseModel):
    """GET /v1/country-production: titles of one kind from one country and year."""

    kind: ContentKindName = Field(examples=["movie"])
    country: str = Field(examples=["argentina"])
    year: int = Field(examples=[2018])
    count: int = Field(ge=0, examples=[15])


class TitleHit(BaseModel):
    """One hit of the catalog's fuzzy title search: one film or show (`id` is one record of
    it) and the platforms listing it."""

    id: str = Field(examples=["ns42"])
    title: str = Field(examples=["jaws"])
    type: str = Field(examples=["movie"])
    release_year: int = Field(examples=[1975])
    available_on: list[str] = Field(default_factory=list, examples=[["netflix"]])
    similarity: float = Field(ge=0, le=1, examples=[0.92])
    # The platform's own spelling of the title, for people to read.
    display_title: str | None = Field(default=None, examples=["Jaws"])


class TitleSearchRead(BaseModel):
    """GET /v1/titles/search: best first, one hit per film (a title two films share: two)."""

    results: list[TitleHit]


class NeighbourRead(BaseModel):
    """One recommended film or show, best first in its list: why it is there, where to watch.

    `title` and `reason` are written for people: the platform's own spelling of names.
    """

    id: str = Field(examples=["ns1234"])
    title: str = Field(examples=["GoodFellas"])
    score: float = Field(examples=[0.83])
    reason: str = Field(examples=["Same director: Martin Scorsese."])
    type: str = Field(default="movie", examples=["movie"])
    release_year: int | None = Field(default=None, examples=[1990])
    available_on: list[str] = Field(default_factory=list, examples=[["hulu", "netflix"]])


class FilmRead(BaseModel):
    """A film a title stands for: the catalog records listing it, its type and year."""

    ids: list[str] = Field(examples=[["ns2121"]])
    type: str = Field(examples=["movie"])
    release_year: int | None = Field(default=None, examples=[2012])


class MovieNeighboursRead(BaseModel):
    """GET /v1/neighbours/{movie_id}: the neighbours of one catalog movie id."""

    movie_id: str
    title: str
    model_version: str
    neighbours: list[NeighbourRead]


class TitleNeighboursRead(BaseModel):
    """GET /v1/neighbours?title=: the neighbours of the film a title was taken to mean
    (`film`, its records merged); `others` are the other films sharing that title, which the
    `type` and `year` parameters select."""

    query: str
    matched_ids: list[str]
    film: FilmRead | None = None
    others: list[FilmRead] = Field(default_factory=list)
    model_version: str
    neighbours: list[NeighbourRead]


@dataclass(frozen=True, slots=True)
class NeighbourFilters:
    """What GET /v1/neighbours keeps of a list (GET /v1/neighbours/{id} takes no `kind` or
    `year`): the gateway sends them as `params()`, recsys-service applies them."""

    platforms: Sequence[Platform] | None = None
    max_age: MaxAge | None = None
    kind: str | None = None
    year: int | None = None

    def params(self) -> dict[str, str | int | None]:
        """The query parameters, platforms comma-separated (None: not sent)."""
        platform = platform_param(self.platforms)
        return {"platform": platform, "type": self.kind, "year": self.year, "max_age": self.max_age}

    def __bool__(self) -> bool:
        """Whether any filter is given."""
        return any(value is not None for value in self.params().values())


# A catalog id: the platform's letter, 's', the platform's show number (ns2121), any case.
CATALOG_ID_PATTERN = r"^[adhnADHN][sS][0-9]{1,9}$"


class LikedFilm(BaseModel):
    """A liked film named exactly: its catalog id, or its title with the release year."""

    # The schema says what _one_film checks: exactly one of id and title, never id with year.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"id": "ns2121"}, {"title": "les misérables", "year": 2012}],
            "oneOf": [
                {"required": ["id"], "properties": {"id": {"type": "string"}}},
                {"required": ["title"], "properties": {"title": {"type": "string"}}},
            ],
            "not": {"required": ["id", "year"]},
        },
    )

    id: Annotated[
        str | None,
        StringConstraints(strip_whitespace=True, to_lower=True, pattern=CATALOG_ID_PATTERN),
    ] = None
    title: TitleText | None = None
    year: YearParam | None = None

    @model_validator(mode="after")
    def _one_film(self) -> "LikedFilm":
        if (self.id is None) == (self.title is None):
            raise ValueError(
                "a liked film is {'id': 'ns2121'} or {'title': 'les misérables', "
                "'year': 2012}: an id or a title, not both"
            )
        if self.id is not None and self.year is not None:
            raise ValueError("an id names one film already: send it without a year")
        return self

    def query(self) -> str:
        """How the film was asked for, as the answer's `liked.query` and `unknown` name it."""
        if self.id is not None:
            return self.id
        return f"{self.title} ({self.year})" if self.year is not None else str(self.title)


# A liked film as a bare title (the one people mean most often), an id, or a title and year.
Liked = TitleText | LikedFilm


def liked_query(liked: Liked) -> str:
    """The text a liked film was asked as (a title, an id, or 'title (year)')."""
    return liked if isinstance(liked, str) else liked.query()


def _same_film_key(liked: Liked) -> tuple[str | int | None, ...]:
    if isinstance(liked, str):
        return ("title", normalise_title(liked), None)
    if liked.id is not None:
        return ("id", liked.id)
    return ("title", normalise_title(str(liked.title)), liked.year)


def distinct_titles(liked: list[Liked]) -> list[Liked]:
    """Each film once, the first naming kept: titles compared as titles are (case, accents and
    punctuation ignored), with their year when one is given; ids as ids. 'Up' and 'up!' are
    one liked film, not an error: a JSON schema cannot say that two spellings are the same,
    so refusing them would refuse requests the published schema calls valid."""
    kept: dict[tuple[str | int | None, ...], Liked] = {}
    for item in liked:
        kept.setdefault(_same_film_key(item), item)
    return list(kept.values())


class TasteRequest(BaseModel):
    """Films someone liked (1-20, a film named twice counted once), optional platforms, how
    many answers (1-50): the body of the gateway's POST /recommendations and of recsys' POST
    /v1/taste."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"liked": ["toy story", "the matrix"], "platform": ["netflix"], "n": 10},
                {"liked": [{"id": "ns2121"}, {"title": "les misérables", "year": 2020}]},
            ]
        }
    }

    liked: Annotated[
        list[Liked],
        Field(
            min_length=1,
            max_length=MAX_LIKED,
            description="Films you liked: a title (the film people mean most "
            'often: the most rated, then the newest), {"id": "ns2121"}, or '
            '{"title": "les misérables", "year": 2012}. Titles are '
            "compared ignoring case, accents and punctuation, so 'Up' and 'up!' "
            "are one film, counted once.",
        ),
        AfterValidator(distinct_titles),
    ]
    platform: PlatformListParam | None = Field(
        default=None,
        description="Only titles available on these platforms; null or absent: every platform.",
    )
    n: int = Field(default=10, ge=1, le=MAX_TASTE_ITEMS, description="How many titles to answer.")
    max_age: MaxAge | None = Field(
        default=None,
        description="Only titles for this audience or younger: kids, family, "
        "teen or adult (adult lets unrated titles through too).",
    )


class LikedRead(BaseModel):
    """A liked film as found: the query, and the film it was taken to mean (id, title, year)."""

    query: str = Field(examples=["les misérables"])
    id: str = Field(examples=["ns2121"])
    title: str = Field(examples=["les misérables"])
    year: int | None = Field(default=None, examples=[2012])


class TasteItemRead(NeighbourRead):
    """A recommendation for a taste: its summed score and the liked titles it comes from, the
    heaviest first."""

    because: list[str] = Field(examples=[["toy story"]])
    # Each title of `because`'s share of the score, in that order (they add up to 1).
    weights: list[float] = Field(default_factory=list, examples=[[1.0]])


class TasteRead(BaseModel):
    """POST /v1/taste: liked titles found, those not found, the n best items."""

    liked: list[LikedRead]
    unknown: list[str]
    model_version: str
    items: list[TasteItemRead]


class ModelRead(BaseModel):
    """GET /v1/model: the version readers use now, and what the ETL recorded about its model."""

    version: str
    published_at: str | None = None
    movies: int | None = None
    movies_with_neighbours: int | None = None
    metrics: Any = None
    model: dict[str, Any] = Field(default_factory=dict)


class HealthRead(BaseModel):
    """GET /healthz of the internal services."""

    status: str = Field(examples=["ok"])


class CatalogReadyRead(BaseModel):
    """GET /readyz of the catalog service: how many rows and which ETL run."""

    status: str = Field(examples=["ready"])
    rows: int = Field(examples=[22998])
    data_version: str = Field(examples=["20250101T000000Z-ab12cd"])


class RecsysReadyRead(BaseModel):
    """GET /readyz of the recsys service: the model version served."""

    status: str = Field(examples=["ready"])
    model_version: str
