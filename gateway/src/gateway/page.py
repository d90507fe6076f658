"""The web page for people: `/` answers the page, `/static/` its stylesheet and ES modules."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# The page loads nothing from elsewhere (no CDN); the browser is told to refuse anything that
# would, so an injected or mistaken outside URL fails loudly instead of leaking the visit.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def page() -> FileResponse:
    """The page itself; it asks the public API from the browser."""
    return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)


def install_page(app: FastAPI) -> None:
    """Serve the page at `/` (left out of the OpenAPI schema: it is not an API route)."""
    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
