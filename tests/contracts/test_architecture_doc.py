"""docs/architecture.md names every route the services serve, and no route they do not."""

import re
from pathlib import Path

from catalog_service.config import Settings as CatalogSettings
from catalog_service.main import create_app as create_catalog
from fastapi import FastAPI
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from recsys_service.config import Settings as RecsysSettings
from recsys_service.main import create_app as create_recsys

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
ROUTE = re.compile(r"`(GET|POST) (/[^`\s]*)`")


def routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations}


def test_the_route_tables_match_the_services() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Routes"):text.index("## How a request flows")]
    named = set(ROUTE.findall(section))
    served = (routes(create_gateway(GatewaySettings(catalog_service_url="http://catalog",
                                                    recsys_service_url="http://recsys")))
              | routes(create_catalog(CatalogSettings(catalog_path=Path("unused"))))
              | routes(create_recsys(RecsysSettings(redis_url="redis://127.0.0.1:1/0"))))
    assert named == served, (f"in the doc only: {sorted(named - served)}; "
                             f"served only: {sorted(served - named)}")


def test_every_file_the_doc_names_exists() -> None:
    repo = DOC.parents[1]
    named = set(re.findall(r"`((?:[\w-]+/)+[\w.-]+\.(?:py|md|toml))", DOC.read_text()))
    missing = sorted(p for p in named
                     if not (repo / p).exists() and not any(repo.glob(f"*/src/*/{p}"))
                     and not any(repo.glob(f"*/src/{p}")))
    assert missing == []
