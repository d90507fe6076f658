"""What the gateway answers publicly; the internal answers it reads are in contracts.api."""

from typing import Literal

from contracts.api import LikedRead, NeighbourRead, TasteItemRead, TitleHit, TitleRead
from pydantic import BaseModel, Field


class RecommendationsRead(BaseModel):
    """The recommendations of a title page; `available` is false when recsys could not answer."""

    available: bool
    items: list[NeighbourRead]
    detail: str | None = Field(
        default=None,
        examples=["Recommendations are unavailable: The recsys service cannot be reached."],
    )


class TitlePageRead(BaseModel):
    """A title's record and its recommendations, fetched from two services at once."""

    title: TitleRead
    recommendations: RecommendationsRead


class DownstreamReady(BaseModel):
    """One downstream's readiness, as the gateway last saw it."""

    ready: bool
    detail: str | None = None


class ReadyRead(BaseModel):
    """ "ready": every downstream is; "degraded": some are, and the routes needing the others
    answer 503 (gateway.health has the rule per route)."""

    status: Literal["ready", "degraded"] = Field(examples=["ready"])
    downstreams: dict[str, DownstreamReady]


class SearchHitRead(TitleHit):
    """One film or show matching a search: `id` is one catalog record of it (for
    /titles/{id}); `similarity` is 0-100 (100 = the same title)."""

    similarity: float = Field(ge=0, le=100, examples=[100.0])


class SearchPageRead(BaseModel):
    """Titles matching what was typed, best first, one per film (same normalised title,
    release year and type); nothing close is an empty list."""

    query: str = Field(examples=["toy sto"])
    results: list[SearchHitRead]


class UnknownRead(BaseModel):
    """A liked title the catalog does not have, with close titles it does."""

    query: str = Field(examples=["the matrx"])
    suggestions: list[str] = Field(default_factory=list, examples=[["the matrix"]])


class TastePageRead(BaseModel):
    """The n best titles for someone who liked these, none of them, best first."""

    liked: list[LikedRead]
    unknown: list[UnknownRead]
    items: list[TasteItemRead]
