"""contracts.api is the one definition of every internal wire shape, and the services say so."""

import datetime
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as create_catalog
from contracts.schema import CATALOG_COLUMNS
from fastapi import FastAPI
from pydantic import BaseModel
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as create_recsys

from contracts import api

LOGICAL_TYPES = {"str": str, "date": datetime.date, "int32": int, "float64": float}


def internal_apps() -> list[FastAPI]:
    # Building an app reads no data: the lifespan (never run here) loads it.
    return [create_catalog(CatalogSettings(catalog_path=Path("unused"))),
            create_recsys(RecsysSettings(redis_url="redis://127.0.0.1:1"))]


def answer_models(app: FastAPI) -> dict[str, type[BaseModel]]:
    """Path -> the contracts.api model its OpenAPI document names for a 200 answer."""
    openapi = app.openapi()
    models = {}
    for path, operations in openapi["paths"].items():
        operation = operations.get("get") or operations["post"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        name = answer["$ref"].rsplit("/", 1)[-1]
        model = getattr(api, name, None)
        assert isinstance(model, type), f"{app.title} {path}: {name} is not in contracts.api"
        assert issubclass(model, BaseModel)
        expected: dict[str, Any] = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization")
        expected.pop("$defs", None)
        # FastAPI documents answers without the defaults (an answer always carries the key).
        for schema in expected["properties"].values():
            schema.pop("default", None)
        assert openapi["components"]["schemas"][name] == expected, f"{app.title} {path}"
        models[path] = model
    return models


def test_the_title_record_is_the_catalog_column_list_in_order() -> None:
    fields = api.TitleRead.model_fields
    # Then the platforms listing that film and its series, which the catalog works out.
    assert list(fields) == [*CATALOG_COLUMNS, "available_on", "series"]
    for name, kind in CATALOG_COLUMNS.items():
        annotation = fields[name].annotation
        types = set(get_args(annotation)) or {annotation}
        assert LOGICAL_TYPES[kind] in types, name


@pytest.mark.parametrize("app", internal_apps(), ids=lambda app: app.title)
def test_every_internal_route_documents_a_contract_model(app: FastAPI) -> None:
    models = answer_models(app)
    assert "/readyz" in models
    assert len(models) >= 5


def test_every_contract_model_is_answered_by_some_internal_route() -> None:
    answered = {model for app in internal_apps() for model in answer_models(app).values()}
    models = {value for value in vars(api).values()
              if isinstance(value, type) and issubclass(value, BaseModel)
              and value.__module__ == api.__name__}
    # Parts of a list answer (or of a title record), never alone; and the body of POST /v1/taste
    # with its items.
    nested = {api.TitleHit, api.NeighbourRead, api.FilmRead, api.LikedRead, api.TasteItemRead,
              api.TasteRequest, api.SeriesEntryRead, api.LikedFilm}
    assert models - nested == answered


@pytest.mark.parametrize("app", internal_apps(), ids=lambda app: app.title)
async def test_unknown_routes_answer_the_one_error_shape(app: FastAPI) -> None:
    # No lifespan: routing fails before any route would need the loaded data.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        unknown = await client.get("/v1/nothing-here")
        wrong_method = await client.delete("/healthz")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_route")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")


def test_a_film_liked_under_two_spellings_is_counted_once_the_first_kept() -> None:
    body = api.TasteRequest.model_validate(
        {"liked": ["Toy Story", "toy  story!", {"id": "ns2121"}, {"id": "NS2121"},
                   {"title": "Les Misérables", "year": 2012}, "les miserables"]})
    assert [api.liked_query(item) for item in body.liked] == [
        "Toy Story", "ns2121", "Les Misérables (2012)", "les miserables"]
