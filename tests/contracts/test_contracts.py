"""The shared contracts: title normalisation, forgiving domain parsing, the error sentence."""

from typing import Annotated

import httpx
import pytest
from contracts.domain import (
    ContentKind,
    ContentKindParam,
    Platform,
    PlatformParam,
    YearParam,
)
from contracts.errors import NotFound
from contracts.titles import normalise_title
from contracts.web import install_error_handlers
from fastapi import FastAPI, Query
from pydantic import TypeAdapter, ValidationError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Amélie", "amelie"),
        ("  THE   Matrix  ", "the matrix"),
        ("Spider-Man: Far From Home", "spider man far from home"),
        ("Schindler's List", "schindlers list"),
        ("Schindler\u2019s List", "schindlers list"),
        ("Crème brûlée!!!", "creme brulee"),
        ("Part_2", "part 2"),
    ],
)
def test_normalise_title_folds_case_accents_punctuation_spaces(raw: str, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_platform_accepts_any_case_and_spaces_and_rejects_others() -> None:
    adapter = TypeAdapter(PlatformParam)
    assert adapter.validate_python(" NetFlix ") is Platform.netflix
    with pytest.raises(ValidationError):
        adapter.validate_python("hbo")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("pelicula", ContentKind.pelicula), ("Movie", ContentKind.pelicula),
     ("TV Show", ContentKind.serie), ("series", ContentKind.serie),
     ("documentary", ContentKind.documental), ("DOCUMENTAL", ContentKind.documental)],
)
def test_content_kind_aliases(raw: str, kind: ContentKind) -> None:
    assert TypeAdapter(ContentKindParam).validate_python(raw) is kind


def test_platform_id_letter_and_file() -> None:
    assert [p.id_letter for p in Platform] == ["a", "d", "h", "n"]
    assert Platform.disney.source_file == "disney_plus_titles.csv"


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/q")
    async def query(platform: Annotated[PlatformParam, Query()],
                    year: Annotated[YearParam, Query()]) -> dict[str, str]:
        if year == 1999:
            raise NotFound("Nothing in 1999.")
        if year == 2001:
            raise RuntimeError("boom with a secret")
        return {"platform": platform.value}

    return app


async def test_error_handlers_give_one_shape_and_name_the_parameter() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.get("/q", params={"platform": "HULU", "year": 2000})
        bad = await client.get("/q", params={"platform": "hbo", "year": 2000})
        missing = await client.get("/q", params={"year": 2000})
        out_of_range = await client.get("/q", params={"platform": "hulu", "year": 3000})
        not_found = await client.get("/q", params={"platform": "hulu", "year": 1999})
        crash = await client.get("/q", params={"platform": "hulu", "year": 2001})
    assert ok.json() == {"platform": "hulu"}
    assert bad.status_code == 422
    assert bad.json()["parameter"] == "platform"
    assert "'platform'" in bad.json()["detail"]
    for accepted in ("amazon", "disney", "hulu", "netflix"):
        assert accepted in bad.json()["detail"]
    assert missing.status_code == 422
    assert missing.json()["detail"] == "Parameter 'platform' is required."
    assert out_of_range.status_code == 422
    assert "2100" in out_of_range.json()["detail"]
    assert not_found.status_code == 404
    assert not_found.json() == {"code": "not_found", "detail": "Nothing in 1999."}
    assert crash.status_code == 500
    assert "secret" not in crash.text
    assert "Traceback" not in crash.text


def test_text_param_trims_lowercases_and_names_the_empty_case() -> None:
    from contracts.domain import TextParam

    adapter = TypeAdapter(TextParam)
    assert adapter.validate_python("  United States ") == "united states"
    with pytest.raises(ValidationError, match="at least 1 character"):
        adapter.validate_python("   ")


async def test_unknown_route_and_wrong_method_are_in_the_one_shape() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        unknown = await client.get("/nowhere")
        wrong_method = await client.post("/q")
    assert unknown.status_code == 404
    assert unknown.json() == {"code": "unknown_route",
                              "detail": "No route GET /nowhere; the routes are listed at /docs."}
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET"
    assert wrong_method.json() == {"code": "method_not_allowed",
                                   "detail": "/q does not take POST; it takes GET.",
                                   "accepted": ["GET"]}
