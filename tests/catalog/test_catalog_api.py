"""The catalog's internal API in process: every route, bad input, not-found answers, search."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from catalog_service.config import Settings
from catalog_service.dependencies import get_index
from catalog_service.exceptions import CatalogUnreadable
from catalog_service.index import CatalogIndex, load_index
from catalog_service.main import create_app
from contracts.schema import CATALOG_COLUMNS
from pydantic import ValidationError
from testkit.apps import AppClient

ROWS: list[dict[str, Any]] = [
    {"id": "ns1", "title": "the godfather", "release_year": 1972, "duration_int": 175,
     "score": 97, "cast": "marlon brando, al pacino", "country": "united states",
     "rating": "r"},
    {"id": "ns2", "title": "the godfather part ii", "release_year": 1974, "duration_int": 202,
     "score": 96, "cast": "al pacino, robert de niro", "country": "united states",
     "rating": "r"},
    {"id": "as1", "platform": "amazon", "title": "the godfather", "release_year": 1972,
     "duration_int": 175, "score": 91, "cast": "marlon brando", "rating": "13+"},
    {"id": "as2", "platform": "amazon", "title": "nueve reinas", "release_year": 2000,
     "duration_int": 114, "score": 88, "cast": "ricardo darín, gastón pauls",
     "country": "argentina, spain", "rating": "16+"},
    {"id": "as3", "platform": "amazon", "type": "tv show", "title": "el marginal",
     "release_year": 2000, "duration_int": 5, "duration_type": "season", "cast": "juan minujín",
     "country": "argentina", "listed_in": "drama, docuseries", "rating": "tv-ma"},
    {"id": "hs1", "platform": "hulu", "title": "quiet", "release_year": 2000, "cast": None,
     "duration_int": None, "duration_type": None, "rating": "tv-ma"},
]


@pytest.fixture(scope="module")
def catalog_path(
    tmp_path_factory: pytest.TempPathFactory,
    make_frame: Callable[..., pl.DataFrame],
    write_run: Callable[..., Path],
) -> Path:
    return write_run(tmp_path_factory.mktemp("catalog-api"), make_frame(ROWS), run_id="run-7")


@pytest.fixture(scope="module")
async def client(catalog_path: Path, app_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(catalog_path=catalog_path))
    async with app_client(app, base_url="http://t") as c:
        yield c


async def get(client: httpx.AsyncClient, url: str, status: int = 200) -> Any:
    response = await client.get(url)
    assert response.status_code == status, response.text
    return response.json()


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert await get(client, "/healthz") == {"status": "ok"}
    assert await get(client, "/readyz") == {"status": "ready", "rows": 6, "data_version": "run-7"}


@pytest.mark.parametrize(("query", "title"), [
    ("", "the godfather part ii"),
    ("?year=1972", "the godfather"),
    ("?platform=AMAZON", "the godfather"),
    ("?platform=amazon&year=2000&duration_type=min", "nueve reinas"),
    ("?duration_type=Min&year=1974", "the godfather part ii"),
])
async def test_max_duration(client: httpx.AsyncClient, query: str, title: str) -> None:
    assert await get(client, f"/v1/max-duration{query}") == {"title": title}


@pytest.mark.parametrize("query", ["?year=2000&platform=hulu", "?duration_type=season",
                                   "?year=1999"])
async def test_max_duration_no_match_is_404(client: httpx.AsyncClient, query: str) -> None:
    body = await get(client, f"/v1/max-duration{query}", 404)
    assert body["code"] == "not_found"
    assert body["detail"].startswith("No movie with a duration matches")


@pytest.mark.parametrize(("query", "count"), [
    ("platform=netflix&scored=96&year=1974", 0),
    ("platform=netflix&scored=95&year=1974", 1),
    ("platform=Amazon&scored=0&year=1972", 1),
    ("platform=amazon&scored=88&year=2000", 0),  # the show does not count, 88 is not > 88
    ("platform=disney&scored=0&year=2000", 0),
])
async def test_score_count(client: httpx.AsyncClient, query: str, count: int) -> None:
    assert await get(client, f"/v1/score-count?{query}") == {"count": count}


@pytest.mark.parametrize(("platform", "count"), [("netflix", 2), ("amazon", 2), ("hulu", 1),
                                                 ("disney", 0)])
async def test_count_platform(client: httpx.AsyncClient, platform: str, count: int) -> None:
    assert await get(client, f"/v1/count-platform?platform={platform}") == {"count": count}


async def test_actor(client: httpx.AsyncClient) -> None:
    # amazon 2000: ricardo darín, gastón pauls, juan minujín once each -> first name.
    assert await get(client, "/v1/actor?platform=amazon&year=2000") == {"name": "gastón pauls"}
    assert await get(client, "/v1/actor?platform=netflix&year=1974") == {"name": "al pacino"}


async def test_actor_without_cast_is_404(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/actor?platform=hulu&year=2000", 404)
    assert body["detail"] == "No hulu title released in 2000 lists a cast."


@pytest.mark.parametrize(("query", "answer"), [
    ("kind=movie&country=argentina&year=2000", {"kind": "movie", "count": 1}),
    ("kind=Movie&country=Spain&year=2000", {"kind": "movie", "count": 1}),
    ("kind=series&country=argentina&year=2000", {"kind": "series", "count": 1}),
    ("kind=tv%20show&country=argentina&year=2000", {"kind": "series", "count": 1}),
    ("kind=serie&country=spain&year=2000", {"kind": "series", "count": 0}),
    ("kind=documentary&country=%20Argentina%20&year=2000", {"kind": "documentary", "count": 1}),
    ("kind=documental&country=united%20states&year=2000", {"kind": "documentary", "count": 0}),
    ("kind=pelicula&country=united%20states&year=1972", {"kind": "movie", "count": 1}),
])
async def test_country_production(client: httpx.AsyncClient, query: str, answer: dict) -> None:
    body = await get(client, f"/v1/country-production?{query}")
    assert body.pop("year") in (1972, 2000)
    assert body.pop("country") in ("argentina", "spain", "united states")
    assert body == answer


async def test_country_production_echoes_normalised_country(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/country-production?kind=movie&country=SPAIN&year=2000")
    assert body == {"kind": "movie", "country": "spain", "year": 2000, "count": 1}


async def test_country_production_unknown_country_is_404(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/country-production?kind=movie&country=chile&year=2000", 404)
    assert body["detail"] == "Country 'chile' does not appear in the catalog."
    assert body["parameter"] == "country"


@pytest.mark.parametrize(("rating", "count"), [("r", 2), ("TV-MA", 2), ("13%2B", 1),
                                               ("%2016%2B%20", 1)])
async def test_contents(client: httpx.AsyncClient, rating: str, count: int) -> None:
    assert await get(client, f"/v1/contents?rating={rating}") == {"count": count}


async def test_contents_unknown_rating_lists_accepted(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/contents?rating=nc-17", 404)
    assert body["parameter"] == "rating"
    assert "'nc-17'" in body["detail"]
    assert body["accepted"] == ["13+", "16+", "r", "tv-ma"]


async def test_contents_plus_lost_in_url_gets_a_hint(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/contents?rating=13+", 404)  # '+' decodes to a space
    assert body["suggestions"] == ["13+"]
    assert "%2B" in body["detail"]


async def test_title_record(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/titles/as2")
    assert body["title"] == "nueve reinas"
    assert body["country"] == "argentina, spain"
    assert body["date_added"] == "2021-01-01"
    assert body["avg_rating"] is None
    assert set(body) == {*CATALOG_COLUMNS, "available_on", "series"}
    assert body["series"] == []  # no other film extends or shares its title
    assert body["available_on"] == ["amazon"]
    assert (await get(client, "/v1/titles/AS2"))["id"] == "as2"


async def test_unknown_title_is_404(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/titles/xs1", 404)
    assert body == {"code": "not_found", "detail": "No title with id 'xs1' in the catalog.",
                    "parameter": "id"}


async def test_search_forgives_typos_and_returns_distinct_titles(
    client: httpx.AsyncClient,
) -> None:
    body = await get(client, "/v1/titles/search?q=The%20Godfater")
    titles = [hit["title"] for hit in body["results"]]
    assert titles[:2] == ["the godfather", "the godfather part ii"]
    assert len(titles) == len(set(titles))  # ns1 and as1 are one film, one hit
    first = body["results"][0]
    assert first == {"id": "as1", "title": "the godfather", "type": "movie",
                     "release_year": 1972, "available_on": ["amazon", "netflix"],
                     "similarity": first["similarity"],
                     # No platform spelling kept in this frame: the lowercase title stands in.
                     "display_title": "the godfather"}
    assert 0.8 < first["similarity"] < 1
    similarities = [hit["similarity"] for hit in body["results"]]
    assert similarities == sorted(similarities, reverse=True)


async def test_search_exact_title_scores_one_and_limit_applies(
    client: httpx.AsyncClient,
) -> None:
    body = await get(client, "/v1/titles/search?q=NUEVE%20REINAS!&limit=1")
    assert body["results"] == [{"id": "as2", "title": "nueve reinas", "type": "movie",
                                "release_year": 2000, "available_on": ["amazon"],
                                "similarity": 1.0, "display_title": "nueve reinas"}]


async def test_search_ranks_titles_holding_every_query_word_first(
    client: httpx.AsyncClient,
) -> None:
    # "part ii" is far from "the godfather part ii" as a whole string, but holds both words.
    body = await get(client, "/v1/titles/search?q=Part%20II")
    assert body["results"][0]["title"] == "the godfather part ii"
    assert 0.9 <= body["results"][0]["similarity"] < 1


async def test_search_without_a_close_title_is_empty(client: httpx.AsyncClient) -> None:
    assert await get(client, "/v1/titles/search?q=zzzzqqqq") == {"results": []}


@pytest.mark.parametrize(("url", "parameter"), [
    ("/v1/max-duration?year=abc", "year"),
    ("/v1/max-duration?year=1800", "year"),
    ("/v1/max-duration?platform=hbo", "platform"),
    ("/v1/max-duration?duration_type=hours", "duration_type"),
    ("/v1/score-count?scored=50&year=2000", "platform"),
    ("/v1/score-count?platform=netflix&scored=101&year=2000", "scored"),
    ("/v1/score-count?platform=netflix&scored=-1&year=2000", "scored"),
    ("/v1/score-count?platform=netflix&scored=x&year=2000", "scored"),
    ("/v1/score-count?platform=netflix&scored=5", "year"),
    ("/v1/score-count?platform=netflix&scored=5&year=3000", "year"),
    ("/v1/count-platform", "platform"),
    ("/v1/count-platform?platform=", "platform"),
    ("/v1/actor?platform=netflix", "year"),
    ("/v1/actor?platform=peacock&year=2000", "platform"),
    ("/v1/actor?platform=netflix&year=20.5", "year"),
    ("/v1/country-production?country=spain&year=2000", "kind"),
    ("/v1/country-production?kind=cartoon&country=spain&year=2000", "kind"),
    ("/v1/country-production?kind=series&country=&year=2000", "country"),
    ("/v1/country-production?kind=series&country=spain&year=1", "year"),
    ("/v1/country-production?kind=series&country=spain", "year"),
    ("/v1/contents", "rating"),
    ("/v1/contents?rating=%20", "rating"),
    (f"/v1/contents?rating={'x' * 201}", "rating"),
    ("/v1/titles/search", "q"),
    ("/v1/titles/search?q=", "q"),
    ("/v1/titles/search?q=%21%3F", "q"),
    ("/v1/titles/search?q=jaws&limit=0", "limit"),
    ("/v1/titles/search?q=jaws&limit=51", "limit"),
    ("/v1/titles/search?q=jaws&platform=hbo", "platform"),
    ("/v1/titles/search?q=jaws&limit=five", "limit"),
])
async def test_bad_input_is_422_naming_the_parameter(
    client: httpx.AsyncClient, url: str, parameter: str
) -> None:
    body = await get(client, url, 422)
    assert body["code"] == "invalid_parameter"
    assert body["parameter"] == parameter
    assert f"'{parameter}'" in body["detail"]
    assert "Traceback" not in body["detail"]


async def test_every_parameter_has_an_openapi_example(client: httpx.AsyncClient) -> None:
    spec = await get(client, "/openapi.json")
    parameters = [p for path in spec["paths"].values() for op in path.values()
                  for p in op.get("parameters", [])]
    assert len(parameters) >= 15
    for parameter in parameters:
        assert parameter["schema"]["examples"], parameter["name"]
        assert parameter["examples"]["example"]["value"] is not None, parameter["name"]


def test_catalog_path_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_PATH", raising=False)
    with pytest.raises(ValidationError, match="catalog_path"):
        create_app()


def test_catalog_path_from_environment(monkeypatch: pytest.MonkeyPatch, catalog_path: Path) -> None:
    monkeypatch.setenv("CATALOG_PATH", str(catalog_path))
    assert create_app().state.settings.catalog_path == catalog_path


async def test_unreadable_catalog_stops_start_up(tmp_path: Path, app_client: AppClient) -> None:
    app = create_app(Settings(catalog_path=tmp_path / "catalog.parquet"))
    with pytest.raises(CatalogUnreadable, match="no catalog parquet"):
        async with app_client(app):
            pass


async def test_a_dependency_override_replaces_the_index_on_every_route(
        catalog_path: Path, tmp_path: Path, make_frame: Callable[..., pl.DataFrame],
        write_run: Callable[..., Path], app_client: AppClient) -> None:
    other = load_index(write_run(tmp_path / "other", make_frame(
        [{"id": "ns9", "title": "the only film", "release_year": 1999}]), run_id="other-run"))

    async def other_index() -> CatalogIndex:
        return other

    app = create_app(Settings(catalog_path=catalog_path))
    app.dependency_overrides[get_index] = other_index
    async with app_client(app, base_url="http://t") as overridden:
        assert await get(overridden, "/v1/count-platform?platform=netflix") == {"count": 1}
        assert (await get(overridden, "/v1/titles/ns9"))["title"] == "the only film"
        assert await get(overridden, "/v1/titles/ns1", status=404)
        assert await get(overridden, "/readyz") == {"status": "ready", "rows": 1,
                                                    "data_version": "other-run"}
