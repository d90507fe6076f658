"""contracts.web.PlainRoute answers exactly what FastAPI's own handling of the route answers.

The same routes are served twice: by their plain parse, and by FastAPI's handler for the same
route (`framework_app`, what the plain parse falls back to). A few hundred seeded requests,
well-formed, malformed and hostile (repeated keys, blanks, unicode digits, encodings), must
get the same status, body and content type from both.
"""

import random
from typing import Annotated
from urllib.parse import quote

import httpx
import pytest
from contracts.api import CountRead
from contracts.domain import (
    ContentKindParam,
    DurationTypeParam,
    PlatformListParam,
    PlatformParam,
    ScoreParam,
    TextParam,
    TitleTypeParam,
    YearParam,
)
from contracts.errors import NotFound, UpstreamUnavailable
from contracts.web import (
    JsonAnswer,
    PlainRoute,
    install_error_handlers,
    install_routes,
    plain_router,
)
from fastapi import Depends, FastAPI, Path, Query, Request, Response
from pydantic import AfterValidator


def _short(value: str) -> str:
    if len(value) > 4:
        raise ValueError("at most 4 characters")
    return value.upper()


async def store(request: Request) -> dict[str, int]:
    """A dependency that needs only the request, and fails as a missing backend does."""
    if request.headers.get("x-down"):
        raise UpstreamUnavailable("The store is down.")
    return {"calls": 1}


Store = Annotated[dict[str, int], Depends(store)]


def make_app() -> FastAPI:
    router = plain_router(prefix="/v1")

    @router.get("/count", response_model=CountRead)
    async def count(
        held: Store,
        platform: Annotated[PlatformParam, Query()],
        scored: Annotated[ScoreParam, Query()],
        year: Annotated[YearParam, Query()],
        duration_type: Annotated[DurationTypeParam | None, Query()] = None,
        kind: Annotated[ContentKindParam | None, Query()] = None,
    ) -> Response:
        if year == 1999:
            raise NotFound("Nothing in 1999.", parameter="year")
        return JsonAnswer({"platform": platform, "scored": scored, "year": year,
                           "duration_type": duration_type, "kind": kind, **held})

    @router.get("/items/{item_id}")
    async def item(item_id: Annotated[str, Path()], request: Request,
                   text: Annotated[TextParam | None, Query()] = None,
                   limit: Annotated[int, Query(ge=1, le=5)] = 3) -> Response:
        return JsonAnswer({"id": item_id, "text": text, "limit": limit,
                           "path": request.url.path})

    # Lists of values (every occurrence of the key) and a Literal parse plainly too.
    @router.get("/many")
    async def many(platform: Annotated[PlatformListParam, Query()],
                   also: Annotated[PlatformListParam | None, Query()] = None,
                   type: Annotated[TitleTypeParam | None, Query()] = None) -> Response:
        return JsonAnswer({"platform": platform, "also": also, "type": type})

    # A path value under another name (an alias), checked by a validator of its own.
    @router.get("/named/{id}")
    async def named(item_id: Annotated[Annotated[str, AfterValidator(_short)],
                                       Path(alias="id")]) -> Response:
        return JsonAnswer({"id": item_id})

    # Not plain: a sync endpoint, an answer FastAPI serialises.
    @router.get("/sync")
    def sync(platform: Annotated[PlatformParam, Query()]) -> Response:
        return JsonAnswer({"platform": platform})

    @router.get("/model")
    async def model(platform: Annotated[PlatformParam, Query()]) -> CountRead:
        return CountRead(count=len(platform))

    app = FastAPI()
    install_error_handlers(app)
    install_routes(app, router)
    return app


def framework_only(app: FastAPI) -> FastAPI:
    for route in app.routes:
        if isinstance(route, PlainRoute):
            route.app = route.framework_app
    return app


VALUES = {
    "platform": ["netflix", " NetFlix ", "HULU", "hbo", "", "n\u00e9tflix", "netflix\x00",
                 "amazon,hulu"],
    "scored": ["0", "100", "101", "-1", "50", " 50 ", "5.0", "5.5", "x", "\u00b2", "0x10",
               "1_0", "+7", "", "9" * 30],
    "year": ["2000", "1900", "2100", "1899", "3000", "20.5", "  2018", "", "1999",
             "\uff12\uff10\uff11\uff18"],
    "duration_type": ["min", "SEASON", "hours", ""],
    "kind": ["movie", "tv show", "Serie", "documental", "cartoon", ""],
}
# Well-formed values, drawn more often so that many requests get through the parse.
VALID = {"platform": ["netflix", "Disney", " amazon "], "scored": ["0", "42", "100", " 7"],
         "year": ["1900", "2018", "2100"], "duration_type": ["min", "season"],
         "kind": ["movie", "series", "tv show"]}
ITEM_IDS = ["ns42", "NS42", "%20", "a%2Fb", "%C3%A9", "x" * 300, "%FF"]
MANY = {"platform": ["netflix", "HULU,disney", "netflix,netflix", " amazon ", "hbo", "",
                     ",", "netflix,hbo"],
        "also": ["hulu", "Disney,amazon", "", "x"],
        "type": ["movie", "tv show", "Serie", "pelicula", "cartoon", ""]}
VALID_MANY = {"platform": ["netflix", "HULU,disney", " amazon "], "also": ["hulu", "Disney,amazon"],
              "type": ["movie", "tv show", "Serie"]}


def random_requests(count: int, seed: int = 11) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        headers = {"x-down": "1"} if rng.random() < 0.05 else {}
        if rng.random() < 0.1:
            path = f"/v1/named/{rng.choice(ITEM_IDS)}"
            query = []
        elif rng.random() < 0.2:
            # Each key 0-3 times: a list takes every occurrence, a single value the last.
            query = [(name, rng.choice(VALID_MANY[name] if rng.random() < 0.8 else values))
                     for name, values in MANY.items()
                     for _ in range(rng.choice((0, 1, 1, 1, 2, 3)))]
            rng.shuffle(query)
            path = "/v1/many"
        elif rng.random() < 0.25:
            query = [("text", rng.choice(["  Hello ", "", " ", "x" * 201, "%2B", "a+b"])),
                     ("limit", rng.choice(["1", "5", "0", "6", "two", ""]))]
            query = [pair for pair in query if rng.random() < 0.7]
            path = f"/v1/items/{rng.choice(ITEM_IDS)}"
        else:
            query = [(name, rng.choice(VALID[name] if rng.random() < 0.75 else values))
                     for name, values in VALUES.items()
                     if rng.random() < (0.9 if name in ("platform", "scored", "year") else 0.4)]
            if query and rng.random() < 0.15:  # a key twice: the last one counts
                name, _ = rng.choice(query)
                query.append((name, rng.choice(VALUES[name])))
            if rng.random() < 0.1:
                query.append(("unknown", "1"))
            path = "/v1/count"
        encoded = "&".join(f"{quote(name)}={quote(value, safe=' ')}".replace(" ", "+")
                           for name, value in query)
        requests.append((f"{path}?{encoded}" if encoded else path, headers))
    return requests


def test_only_routes_of_single_values_parse_plainly() -> None:
    plain = {route.path: route.plain for route in make_app().routes
             if isinstance(route, PlainRoute)}
    assert plain == {"/v1/count": True, "/v1/items/{item_id}": True, "/v1/many": True,
                     "/v1/named/{id}": True, "/v1/sync": False, "/v1/model": False}


async def test_plain_parse_answers_as_fastapi_does() -> None:
    plain, reference = make_app(), framework_only(make_app())
    statuses: dict[int, int] = {}
    lists: dict[int, int] = {}  # statuses of the route taking lists
    different = []
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=reference),
                          base_url="http://t") as b,
    ):
        for url, headers in random_requests(500):
            got, expected = await a.get(url, headers=headers), await b.get(url, headers=headers)
            statuses[expected.status_code] = statuses.get(expected.status_code, 0) + 1
            if url.startswith("/v1/many"):
                lists[expected.status_code] = lists.get(expected.status_code, 0) + 1
            if ((got.status_code, got.content, got.headers.get("content-type"))
                    != (expected.status_code, expected.content,
                        expected.headers.get("content-type"))):
                different.append(f"{url}: {got.status_code} {got.text[:120]} != "
                                 f"{expected.status_code} {expected.text[:120]}")
    assert not different, "\n".join(different[:10])
    # The sample reaches both sides of the plain parse and the errors after it.
    assert min(statuses.get(200, 0), statuses.get(422, 0)) >= 100, statuses
    assert min(statuses.get(404, 0), statuses.get(503, 0)) >= 1, statuses
    assert min(lists.get(200, 0), lists.get(422, 0)) >= 20, lists


@pytest.mark.parametrize("url", ["/v1/count?platform=hulu&scored=5&year=2018",
                                 "/v1/items/ns1?text=%20Hi%20&limit=2"])
async def test_a_plain_answer_is_the_endpoints(url: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()),
                                 base_url="http://t") as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    body = answer.json()
    if "count" in url:
        assert body == {"platform": "hulu", "scored": 5, "year": 2018, "duration_type": None,
                        "kind": None, "calls": 1}
    else:
        assert body == {"id": "ns1", "text": "hi", "limit": 2, "path": "/v1/items/ns1"}
