"""The gateway serves the page at `/`: HTML, its modules, no outside resources, not in the API."""

import re

import httpx


def test_page_is_served_at_the_root(page_stack):
    answer = httpx.get(f"{page_stack.gateway}/", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="static/app.js">' in answer.text
    # Nothing from elsewhere: every src/href is relative to the gateway, or a data: URL.
    links = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert links, "the page links nothing"
    assert [link for link in links if re.match(r"[a-z]+://|//", link)] == []
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy


def test_every_module_the_page_imports_is_served(page_stack):
    app = httpx.get(f"{page_stack.gateway}/static/app.js", timeout=10)
    assert app.status_code == 200
    assert "javascript" in app.headers["content-type"]
    imported = set(re.findall(r'from "\./([\w.]+)"', app.text))
    assert {"api.js", "combobox.js", "dom.js"} <= imported
    for name in imported | {"app.css"}:
        assert httpx.get(f"{page_stack.gateway}/static/{name}", timeout=10).status_code == 200, name


def test_page_is_not_an_api_route(page_stack):
    paths = httpx.get(f"{page_stack.gateway}/openapi.json", timeout=10).json()["paths"]
    assert "/" not in paths
    assert "/titles/{id}" in paths
    missing = httpx.get(f"{page_stack.gateway}/static/nothing.js", timeout=10)
    assert missing.status_code == 404
