"""Response bodies of the catalog's internal API."""

from pydantic import BaseModel, Field


class MaxDurationRead(BaseModel):
    title: str = Field(examples=["soothing surf at del norte for sleep black screen"])


class CountRead(BaseModel):
    count: int = Field(ge=0, examples=[15])


class ActorRead(BaseModel):
    name: str = Field(examples=["anupam kher"])


class CountryProductionRead(BaseModel):
    """Exactly one of pelicula / serie / documental is present: the kind that was asked for."""

    pais: str = Field(examples=["argentina"])
    anio: int = Field(examples=[2018])
    pelicula: int | None = Field(default=None, examples=[15])
    serie: int | None = None
    documental: int | None = None


class TitleRead(BaseModel):
    """One catalog record, every column of contracts.schema.CATALOG_COLUMNS."""

    id: str = Field(examples=["ns42"])
    platform: str = Field(examples=["netflix"])
    show_id: str = Field(examples=["s42"])
    type: str = Field(examples=["movie"])
    title: str = Field(examples=["jaws"])
    director: str | None = None
    cast: str | None = None
    country: str | None = None
    date_added: str | None = Field(default=None, examples=["2021-09-16"])
    release_year: int = Field(examples=[1975])
    rating: str | None = Field(default=None, examples=["pg"])
    duration_int: int | None = Field(default=None, examples=[124])
    duration_type: str | None = Field(default=None, examples=["min"])
    listed_in: str | None = None
    description: str | None = None
    score: int | None = None
    score_source: str | None = None
    rating_count: int | None = None
    avg_rating: float | None = None


class TitleHit(BaseModel):
    id: str = Field(examples=["ns42"])
    title: str = Field(examples=["jaws"])
    type: str = Field(examples=["movie"])
    release_year: int = Field(examples=[1975])
    similarity: float = Field(ge=0, le=1, examples=[0.92])


class TitleSearchRead(BaseModel):
    results: list[TitleHit]


class HealthRead(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyRead(BaseModel):
    status: str = Field(examples=["ready"])
    rows: int = Field(examples=[22998])
    data_version: str = Field(examples=["20250101T000000Z-ab12cd"])
