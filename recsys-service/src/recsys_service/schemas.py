"""Response models of the recsys internal API."""

from typing import Any

from pydantic import BaseModel, Field


class NeighbourRead(BaseModel):
    """One recommended movie, best first in its list."""

    id: str
    title: str
    score: float
    reason: str


class MovieNeighboursRead(BaseModel):
    """The neighbours of one catalog movie id."""

    movie_id: str
    title: str
    model_version: str
    neighbours: list[NeighbourRead]


class TitleNeighboursRead(BaseModel):
    """The neighbours of a title, merged over the catalog entries that carry it."""

    query: str
    matched_ids: list[str]
    model_version: str
    neighbours: list[NeighbourRead]


class ModelRead(BaseModel):
    """The version readers use now, and what the ETL recorded about its model."""

    version: str
    published_at: str | None = None
    movies: int | None = None
    movies_with_neighbours: int | None = None
    metrics: Any = None
    model: dict[str, Any] = Field(default_factory=dict)


class HealthRead(BaseModel):
    status: str


class ReadyRead(BaseModel):
    status: str
    model_version: str
