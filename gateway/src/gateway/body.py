"""JSON request bodies read with a size bound, and the body of POST /recommendations.

FastAPI would read a body whole before validating it; reading it here stops at MAX_BODY_BYTES,
so a 10 MB body costs what 16 KB costs, and a 10,000-title list never reaches a parser.
"""

from typing import Annotated, Any, TypeVar

from contracts.domain import PlatformListParam
from contracts.errors import InvalidParameter, PayloadTooLarge
from contracts.titles import normalise_title
from contracts.web import validation_sentence
from fastapi import Request
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

# 20 titles of 200 characters with JSON quoting fit well under it.
MAX_BODY_BYTES = 16_384
MAX_LIKED = 20
MAX_ITEMS = 50

Body = TypeVar("Body", bound=BaseModel)


def _has_words(value: str) -> str:
    if not normalise_title(value):
        raise PydanticCustomError("no_words", "Input should contain at least one letter or digit")
    return value


def _distinct(titles: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for title in titles:
        key = normalise_title(title)
        if key in seen:
            raise PydanticCustomError(
                "duplicate_title", "Input should name each title once ('{first}' and '{again}' "
                "are the same title)", {"first": seen[key], "again": title})
        seen[key] = title
    return titles


LikedTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=200), AfterValidator(_has_words)]


class TasteRequest(BaseModel):
    """Titles someone liked (1-20, each once), optional platforms, how many answers (1-50)."""

    liked: Annotated[list[LikedTitle], Field(min_length=1, max_length=MAX_LIKED),
                     AfterValidator(_distinct)]
    platform: PlatformListParam | None = None
    n: int = Field(default=10, ge=1, le=MAX_ITEMS)


# The request body as /docs shows it (the route reads the body itself, bounded).
TASTE_OPENAPI: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {
        "schema": {
            "type": "object", "required": ["liked"],
            "properties": {
                "liked": {"type": "array", "minItems": 1, "maxItems": MAX_LIKED,
                          "uniqueItems": True,
                          "items": {"type": "string", "minLength": 1, "maxLength": 200,
                                    # a letter or digit somewhere, as the validator demands
                                    "pattern": r"[^\W_]"},
                          "description": "Titles you liked, each once (any case, accents "
                                         "and punctuation forgiven)."},
                "platform": {"type": "array", "items": {
                    "type": "string", "enum": ["amazon", "disney", "hulu", "netflix"]},
                    "description": "Only titles available on these platforms."},
                "n": {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS, "default": 10},
            }},
        "example": {"liked": ["toy story", "the matrix"], "platform": ["netflix"], "n": 10},
    }}}}


async def read_json_body(request: Request, model: type[Body],
                         limit: int = MAX_BODY_BYTES) -> Body:
    """The body parsed as `model`: 413 past `limit` bytes, 422 naming what is wrong."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large(limit), parameter="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit), parameter="body")
        chunks.append(chunk)
    try:
        return model.model_validate_json(b"".join(chunks))
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] in ("json_invalid", "model_type", "json_type"):
            raise InvalidParameter(
                "The body should be a JSON object such as "
                '{"liked": ["toy story"], "n": 10}.', parameter="body") from error
        parameter, sentence = validation_sentence(dict(first))
        if first["type"] in ("too_long", "too_short") and parameter == "liked":
            sentence = (f"Parameter 'liked' has {len(first['input'])} titles, but it accepts "
                        f"1 to {MAX_LIKED}.")
        # Never echo a whole bad body back.
        raise InvalidParameter(_cut(sentence), parameter=parameter) from error


def _cut(sentence: str, limit: int = 300) -> str:
    return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"


def _too_large(limit: int) -> str:
    return f"The body is larger than {limit} bytes; send at most {MAX_LIKED} liked titles."
