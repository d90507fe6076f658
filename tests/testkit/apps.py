"""An app in-process: its lifespan run, requests through ASGI (no socket), one client."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

# A generous bound per in-process request, for a busy machine.
ANSWER_TIMEOUT = 60.0

# The `app_client` fixture: `async with app_client(app) as client:`.
AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def open_app(app: Any, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (clients opened, data loaded) around a client talking to it.

    `manager.app` is what hands the lifespan state to requests.
    """
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url=base_url,
                          timeout=ANSWER_TIMEOUT) as client,
    ):
        yield client
