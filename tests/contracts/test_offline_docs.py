"""/docs and /redoc of every service load nothing from the internet (contracts.docs)."""

import re
from pathlib import Path

import httpx
import pytest
from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as create_catalog
from contracts.docs import DOCS_ASSETS
from fastapi import FastAPI
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as create_recsys

# Every src= and href= of a page, and any absolute URL in it.
LINKED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE = re.compile(r"https?://")


def apps(tmp_path: Path) -> dict[str, FastAPI]:
    # The pages need no lifespan state, so no catalog or Redis is opened.
    return {
        "gateway": create_gateway(GatewaySettings(catalog_service_url="http://catalog",
                                                  recsys_service_url="http://recsys")),
        "catalog": create_catalog(CatalogSettings(catalog_path=tmp_path / "catalog.parquet")),
        "recsys": create_recsys(RecsysSettings(redis_url="redis://127.0.0.1:1/0",
                                               redis_key_prefix="docs-test")),
    }


@pytest.mark.parametrize("service", ["gateway", "catalog", "recsys"])
@pytest.mark.parametrize(("page", "asset"), [("/docs", "swagger-ui-bundle.js"),
                                             ("/redoc", "redoc.standalone.js")])
async def test_docs_pages_load_their_assets_from_the_service(tmp_path: Path, service: str,
                                                             page: str, asset: str) -> None:
    app = apps(tmp_path)[service]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://docs") as client:
        html = await client.get(page)
        links = LINKED.findall(html.text)
        assets = [await client.get(link) for link in links]
    assert html.status_code == 200
    assert f"{DOCS_ASSETS}/{asset}" in links
    assert not ABSOLUTE.search(html.text.replace("http://www.w3.org", "")), html.text[:500]
    assert [a.status_code for a in assets] == [200] * len(links)
    assert all(len(a.content) > 1000 for a in assets)  # the real files, not an error answer
    policy = html.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" not in policy  # the gateway's API-wide header is not applied
