"""What the gateway answers publicly; the internal answers it reads are in contracts.api."""

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


class ReadyRead(BaseModel):
    status: str = Field(examples=["ready"])
