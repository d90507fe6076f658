"""What the gateway answers: the public shapes, and the internal answers it reads them from."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TitleRead(BaseModel):
    """One catalog record, as the catalog service holds it (lowercase text, ids like `ns42`)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(examples=["ns42"])
    platform: str = Field(examples=["netflix"])
    type: str = Field(examples=["movie"])
    title: str = Field(examples=["the irishman"])
    show_id: str | None = None
    director: str | None = None
    cast: str | None = None
    country: str | None = None
    date_added: date | None = None
    release_year: int | None = Field(default=None, examples=[2019])
    rating: str | None = Field(default=None, examples=["r"])
    duration_int: int | None = Field(default=None, examples=[209])
    duration_type: str | None = Field(default=None, examples=["min"])
    listed_in: str | None = None
    description: str | None = None
    score: int | None = Field(default=None, examples=[87])
    score_source: str | None = None
    rating_count: int | None = None
    avg_rating: float | None = None


class RecommendationRead(BaseModel):
    """One neighbour of a title, with why the recommender put it there."""

    id: str = Field(examples=["ns1234"])
    title: str = Field(examples=["goodfellas"])
    score: float = Field(examples=[0.83])
    reason: str = Field(examples=["shared director: martin scorsese"])


class RecommendationsRead(BaseModel):
    """The recommendations of a title page; `available` is false when recsys could not answer."""

    available: bool
    items: list[RecommendationRead]
    detail: str | None = Field(default=None, examples=[
        "Recommendations are unavailable: The recsys service cannot be reached."])


class TitlePageRead(BaseModel):
    """A title's record and its recommendations, fetched from two services at once."""

    title: TitleRead
    recommendations: RecommendationsRead


class NeighboursAnswer(BaseModel):
    """The recsys service's answer for a title or an id: neighbours best first."""

    query: str | None = None
    matched_ids: list[str] = Field(default_factory=list)
    model_version: str | None = None
    neighbours: list[RecommendationRead]


class SearchHit(BaseModel):
    """One hit of the catalog's fuzzy title search."""

    id: str
    title: str
    type: str | None = None
    release_year: int | None = None
    similarity: float | None = None


class SearchAnswer(BaseModel):
    results: list[SearchHit]


class ReadyRead(BaseModel):
    status: str = Field(examples=["ready"])
