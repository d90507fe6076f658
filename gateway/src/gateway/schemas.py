"""What the gateway answers publicly; the internal answers it reads are in contracts.api."""

from typing import Literal

from contracts.api import NeighbourRead, TitleRead
from pydantic import BaseModel, Field


class RecommendationsRead(BaseModel):
    """The recommendations of a title page; `available` is false when recsys could not answer."""

    available: bool
    items: list[NeighbourRead]
    detail: str | None = Field(default=None, examples=[
        "Recommendations are unavailable: The recsys service cannot be reached."])


class TitlePageRead(BaseModel):
    """A title's record and its recommendations, fetched from two services at once."""

    title: TitleRead
    recommendations: RecommendationsRead


class DownstreamReady(BaseModel):
    """One downstream's readiness, as the gateway last saw it."""

    ready: bool
    detail: str | None = None


class ReadyRead(BaseModel):
    """"ready": every downstream is; "degraded": some are, and the routes needing the others
    answer 503 (gateway.health has the rule per route)."""

    status: Literal["ready", "degraded"] = Field(examples=["ready"])
    downstreams: dict[str, DownstreamReady]
