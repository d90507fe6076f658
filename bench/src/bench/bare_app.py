"""The ratio baseline: a bare FastAPI app answering a constant from memory (one Python hop)."""

from fastapi import FastAPI

CONSTANT = 6131


def create_app() -> FastAPI:
    """`uvicorn --factory bench.bare_app:create_app`: GET / answers 6131."""
    app = FastAPI(title="bench baseline")

    @app.get("/")
    async def constant() -> int:
        return CONSTANT

    return app
