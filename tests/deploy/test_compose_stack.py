"""The compose stack, running on the real data: every public route once through the published
proxy and gateway, a second ETL run that the services follow, only the proxy's port published,
the networks isolating as designed, and the proxy's bounds on hostile requests.
`make compose-smoke` brings the stack up, runs this module and takes the stack down; elsewhere
the module is skipped."""

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from deploy.files import PARTS, SAME_PART, compose_links
from testkit import raw_http
from testkit.public_answers import (
    contents,
    max_duration,
    movies,
    production,
    score_count,
    top_actor,
)
from testkit.raw_csv import RawTitle, read_titles
from testkit.raw_http import status_of

PROJECT = os.environ.get("COMPOSE_SMOKE_PROJECT", "")
# Collected only when make compose-smoke names the stack (tests/conftest.py deselects it
# otherwise, so a plain pytest run neither runs nor counts it as skipped).
pytestmark = pytest.mark.compose

PORTS = {"redis": 6379, "catalog-service": 8000, "recsys-service": 8000, "gateway": 8000}
FOLLOW_TIMEOUT_SECONDS = 120
# Run inside a container: can it resolve each name, and open a TCP connection to any address
# the named container has (on any network)?
PROBE = """
import json, socket, sys
targets = json.loads(sys.argv[1])
found = {}
for name, (port, addresses) in targets.items():
    try:
        socket.getaddrinfo(name, port)
        resolves = True
    except OSError:
        resolves = False
    connects = False
    for address in addresses:
        try:
            socket.create_connection((address, port), timeout=2).close()
            connects = True
        except OSError:
            pass
    found[name] = {"resolves": resolves, "connects": connects}
print(json.dumps(found))
"""


def compose_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = json.loads(os.environ["COMPOSE_SMOKE_COMMAND"])
    return subprocess.run([*command, *args], capture_output=True, text=True, check=False,
                          timeout=timeout)


def docker(*args: str) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=True,
                            timeout=120)
    return result.stdout


def container(service: str) -> dict[str, Any]:
    """`docker inspect` of the service's running container."""
    ids = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                 "--filter", f"label=com.docker.compose.service={service}").split()
    assert len(ids) == 1, f"{service}: {len(ids)} running containers"
    return json.loads(docker("inspect", ids[0]))[0]


def in_container(service: str, code: str, *args: str) -> str:
    return docker("exec", container(service)["Id"], "python", "-c", code, *args)


@pytest.fixture(scope="module")
def gateway() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=os.environ["GATEWAY_URL"], timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def rows(real_data_dir: Path) -> list[RawTitle]:
    return read_titles(real_data_dir)


@pytest.fixture(scope="module")
def toy_story(rows: list[RawTitle]) -> tuple[str, str]:
    """The ids of Toy Story and its sequel: the recommender's real-data test expects the
    sequel among the first five, for a shared director."""
    ids = {r.title: r.id for r in movies(rows)}
    return ids["toy story"], ids["toy story 2"]


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


# One call per catalog route: its parameters and its answer computed from the raw CSVs.
CATALOG_ROUTES: dict[str, tuple[dict[str, Any], Callable[[list[RawTitle]], Any]]] = {
    "/get_max_duration": ({"year": 2018, "platform": "netflix", "duration_type": "min"},
                          lambda rows: max_duration(rows, 2018, "netflix", "min")),
    "/get_score_count": ({"platform": "netflix", "scored": 85, "year": 2019},
                         lambda rows: score_count(rows, "netflix", 85, 2019)),
    "/get_count_platform": ({"platform": "NETFLIX"}, lambda rows: len(movies(rows, "netflix"))),
    "/get_actor": ({"platform": "amazon", "year": 2019},
                   lambda rows: top_actor(rows, "amazon", 2019)),
    "/prod_per_county": ({"tipo": "pelicula", "pais": "Argentina", "anio": 2018},
                         lambda rows: {"pais": "argentina", "anio": 2018,
                                       "pelicula": production(rows, "pelicula", "argentina",
                                                              2018)}),
    "/get_contents": ({"rating": "TV-MA"}, lambda rows: contents(rows, "tv-ma")),
}
OTHER_ROUTES = {"/get_recommendation", "/titles/{id}", "/search", "/recommendations", "/healthz",
                "/readyz"}


def test_every_public_api_route_is_checked() -> None:
    from gateway.config import Settings
    from gateway.main import create_app

    settings = Settings(catalog_service_url="http://catalog", recsys_service_url="http://recsys")
    assert set(create_app(settings).openapi()["paths"]) == set(CATALOG_ROUTES) | OTHER_ROUTES


@pytest.mark.parametrize("route", sorted(CATALOG_ROUTES))
def test_catalog_route_answers_as_the_raw_data_says(gateway, rows, route: str) -> None:
    params, expected = CATALOG_ROUTES[route]
    assert get(gateway, route, **params) == expected(rows)


def test_recommendation_holds_the_sequel(gateway, rows) -> None:
    answer = get(gateway, "/get_recommendation", titulo="Toy Story")
    assert len(answer) == len(set(answer)) == 5
    assert set(answer) <= {r.title for r in movies(rows)} - {"toy story"}
    assert "toy story 2" in answer


def test_title_page_has_the_record_and_the_reasons(gateway, rows, toy_story) -> None:
    original, sequel = toy_story
    raw = next(r for r in rows if r.id == original)
    page = get(gateway, f"/titles/{original}")
    assert (page["title"]["title"], page["title"]["release_year"]) == (raw.title, raw.year)
    items = {item["id"]: item for item in page["recommendations"]["items"]}
    assert "Same director: John Lasseter." in items[sequel]["reason"]


def test_search_finds_the_film_on_its_platforms(gateway, rows) -> None:
    answer = get(gateway, "/search", q="toy sto")
    hit = next(h for h in answer["results"] if h["title"] == "toy story")
    listed = {r.platform for r in movies(rows) if r.title == "toy story"
              and r.year == hit["release_year"]}
    assert listed
    assert listed <= set(hit["available_on"])


def test_a_taste_gets_the_sequel_and_not_the_liked_film(gateway) -> None:
    response = gateway.post("/recommendations", json={"liked": ["toy story"], "n": 5})
    assert response.status_code == 200, response.text
    # Named as the platforms spell them ("Toy Story 2"); compared folded.
    titles = [item["title"].lower() for item in response.json()["items"]]
    assert len(titles) == 5
    assert "toy story 2" in titles
    assert "toy story" not in titles


def test_health_and_readiness(gateway) -> None:
    assert gateway.get("/healthz").status_code == 200
    assert get(gateway, "/readyz")["status"] == "ready"


def test_the_web_page_and_its_assets_are_served(gateway) -> None:
    page = gateway.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="/?(static/[^"]+)"', page.text)
    assert assets, "the page names its assets"
    for asset in assets:
        assert gateway.get(f"/{asset}").status_code == 200, asset


def service_versions() -> dict[str, str]:
    """What catalog-service and recsys-service serve now, asked from inside the gateway's
    container (they publish no port)."""
    code = ("import json, urllib.request\n"
            "ask = lambda url: json.load(urllib.request.urlopen(url, timeout=5))\n"
            "print(json.dumps({'catalog': ask('http://catalog-service:8000/readyz')"
            "['data_version'], 'recsys': ask('http://recsys-service:8000/readyz')"
            "['model_version']}))")
    return json.loads(in_container("gateway", code))


def test_the_services_follow_a_new_etl_run(gateway, rows) -> None:
    before = service_versions()
    rerun = compose_cli("run", "--rm", "etl-job")
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    read = compose_cli("run", "--rm", "--no-deps", "etl-job", "python", "-c",
                   "print(open('/data/etl/current/manifest.json').read())", timeout=120)
    assert read.returncode == 0, read.stderr
    manifest = json.loads(read.stdout[read.stdout.index("{"):])
    expected = {"catalog": manifest["data_version"], "recsys": manifest["redis"]["version"]}
    assert expected["catalog"] != before["catalog"]
    assert expected["recsys"] != before["recsys"]
    # The catalog looks for a new run every CATALOG_RELOAD_SECONDS; recsys follows at once.
    deadline = time.monotonic() + FOLLOW_TIMEOUT_SECONDS
    while (now := service_versions()) != expected and time.monotonic() < deadline:
        time.sleep(2)
    assert now == expected
    assert get(gateway, "/get_count_platform", platform="disney") == len(movies(rows, "disney"))


@pytest.mark.parametrize("service", ["etl-guard", "catalog-service", "recsys-service", "gateway"])
def test_each_image_holds_its_part_and_no_other_nor_dev_tools(service: str) -> None:
    part = SAME_PART.get(service, service).replace("-", "_")
    others = [p.replace("-", "_") for p in PARTS if p.replace("-", "_") != part]
    probe = ("import importlib.util as u, sys; "
             "print(' '.join(n for n in sys.argv[1:] if u.find_spec(n)))")
    found = in_container(service, probe, part, "contracts", *others, "pytest", "ruff").split()
    assert found == [part, "contracts"]


def test_only_the_proxy_publishes_a_port() -> None:
    ids = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").split()
    published = {}
    for details in json.loads(docker("inspect", *ids)):
        bindings = {port: [b["HostPort"] for b in hosts]
                    for port, hosts in (details["NetworkSettings"]["Ports"] or {}).items()
                    if hosts}
        if bindings:
            published[details["Config"]["Labels"]["com.docker.compose.service"]] = bindings
    port = os.environ["GATEWAY_URL"].rsplit(":", 1)[1]
    assert set(published) == {"edge-proxy"}
    assert set(published["edge-proxy"]) == {"8000/tcp"}
    assert set(published["edge-proxy"]["8000/tcp"]) == {port}


def test_every_network_but_the_edge_is_internal() -> None:
    ids = docker("network", "ls", "-q", "--filter",
                 f"label=com.docker.compose.project={PROJECT}").split()
    internal = {n["Labels"]["com.docker.compose.network"]: n["Internal"]
                for n in json.loads(docker("network", "inspect", *ids))}
    assert internal.pop("edge") is False
    assert internal, "the internal networks exist"
    assert all(internal.values()), internal


def probe_targets() -> dict[str, tuple[int, list[str]]]:
    targets = {}
    for service, port in PORTS.items():
        networks = container(service)["NetworkSettings"]["Networks"].values()
        targets[service] = (port, [n["IPAddress"] for n in networks if n["IPAddress"]])
    return targets


@pytest.mark.parametrize("source", ["etl-job", "etl-guard", "catalog-service", "recsys-service",
                                    "gateway"])
def test_the_networks_let_through_only_the_designed_links(compose, source: str) -> None:
    # The compose file's graph, which test_deploy_compose.py holds equal to the Kubernetes
    # NetworkPolicies'.
    links = compose_links(compose)
    targets = {name: value for name, value in probe_targets().items() if name != source}
    if source == "etl-job":  # a one-shot: probe from a new container on its networks
        result = compose_cli("run", "--rm", "--no-deps", "etl-job", "python", "-c", PROBE,
                         json.dumps(targets), timeout=120)
        assert result.returncode == 0, result.stderr
        output = result.stdout
    else:
        output = in_container(source, PROBE, json.dumps(targets))
    found = json.loads(output.strip().splitlines()[-1])
    part = SAME_PART.get(source, source)
    expected = {name: {"resolves": frozenset({part, name}) in links,
                       "connects": frozenset({part, name}) in links} for name in targets}
    assert found == expected


# --- the proxy's bounds (edge-proxy/nginx.conf) --------------------------------------------------

PROXY_HEADER_TIMEOUT_SECONDS = 10


def raw_exchange(payload: bytes, *, wait: float = 30.0) -> tuple[bytes, float]:
    """Raw bytes to the published port (testkit.raw_http), its answer and when."""
    return raw_http.raw_exchange(os.environ["GATEWAY_URL"], payload, wait=wait)


def error_body(answer: bytes) -> dict[str, Any]:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def head(path: str, *headers: bytes) -> bytes:
    return b"GET %s HTTP/1.1\r\nHost: gateway\r\n%s\r\n" % (
        path.encode(), b"".join(h + b"\r\n" for h in headers))


def test_a_huge_header_is_refused_before_it_is_read() -> None:
    answer, seconds = raw_exchange(head("/get_count_platform?platform=netflix",
                                        b"X-Big: " + b"a" * (50 << 20)))
    assert status_of(answer) == 400  # nginx's status for a head past its buffers
    assert error_body(answer)["code"] == "headers_too_large"
    assert seconds < 5


def test_too_many_headers_and_too_long_urls_are_refused() -> None:
    many, _ = raw_exchange(head("/get_count_platform?platform=netflix",
                                *(b"X-%d: %s" % (n, b"v" * 20) for n in range(2000))))
    long_url, _ = raw_exchange(head("/get_contents?rating=" + "a" * 9000))
    assert status_of(many) == 400  # the count is bounded by the head's size
    assert error_body(many)["code"] == "headers_too_large"
    assert status_of(long_url) == 414
    assert error_body(long_url)["code"] == "url_too_long"


def test_a_slow_head_is_cut_after_the_header_timeout() -> None:
    started = b"GET /get_count_platform?platform=netflix HTTP/1.1\r\nHost: gateway\r\n"
    answer, seconds = raw_exchange(started)  # the blank line never comes
    assert status_of(answer) != 200
    assert PROXY_HEADER_TIMEOUT_SECONDS - 1 <= seconds < PROXY_HEADER_TIMEOUT_SECONDS + 5


def test_a_malformed_request_gets_the_error_shape() -> None:
    answer, _ = raw_exchange(b"NOT HTTP AT ALL\r\n\r\n")
    assert status_of(answer) == 400
    assert error_body(answer)["code"] == "bad_request"


def test_bodies_that_never_come_leave_others_served_and_cap_the_address(gateway) -> None:
    # Seen from the proxy every connection from this host has one address: 60 promised bodies
    # stay under its 64 connections, so another request is still served; past 64, 429 at once.
    host, port = os.environ["GATEWAY_URL"].removeprefix("http://").split(":")
    promise = (b"GET /get_count_platform?platform=netflix HTTP/1.1\r\nHost: gateway\r\n"
               b"Content-Length: 1\r\n\r\n")
    sockets = []
    try:
        for _ in range(60):
            sockets.append(socket.create_connection((host, int(port)), timeout=5))
            sockets[-1].sendall(promise)
        time.sleep(1)
        served = gateway.get("/get_count_platform", params={"platform": "netflix"},
                             headers={"Connection": "close"})
        extra = []
        for _ in range(10):
            sockets.append(socket.create_connection((host, int(port)), timeout=5))
            sockets[-1].sendall(promise)
            extra.append(sockets[-1])
        refused = []
        for sock in extra:
            try:
                refused.append(status_of(sock.recv(4096)))
            except OSError:
                refused.append(0)
    finally:
        for sock in sockets:
            sock.close()
    assert served.status_code == 200, served.text
    assert refused.count(429) >= 5, refused
