"""Gateway fixtures: the app in-process, real catalog processes, failure-mode stand-ins."""

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from contracts.schema import CATALOG_FILE, RATINGS_FILE
from gateway.config import Settings
from gateway.main import create_app
from testkit.apps import AppClient
from testkit.stand_in import StandIn

# Answer tests allow for a busy machine; failure tests pass a short timeout of their own.
ANSWER_TIMEOUT = 10.0

GatewayClient = AbstractAsyncContextManager[httpx.AsyncClient]


@pytest.fixture(scope="session")
def gateway(app_client: AppClient) -> Callable[..., GatewayClient]:
    """Factory: `async with gateway(catalog=url, recsys=url) as client:` the app in-process."""

    def open_gateway(*, catalog: str, recsys: str, wait: float = ANSWER_TIMEOUT,
                     **settings: Any) -> GatewayClient:
        app = create_app(Settings(catalog_service_url=catalog, recsys_service_url=recsys,
                                  downstream_timeout_seconds=wait, **settings))
        return app_client(app, base_url="http://gateway")

    return open_gateway


@pytest.fixture(scope="session")
def dead_url(unused_port: Callable[[], int]) -> str:
    """A port with nothing listening: connections are refused."""
    return f"http://127.0.0.1:{unused_port()}"


@pytest.fixture(scope="session")
def hanging_url() -> Iterator[str]:
    """A server that accepts connections, reads, and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)  # kept open, never written to

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    for connection in held:
        connection.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[], StandIn]]:
    """Factory of stand-in downstreams (testkit.StandIn); each stops at the end of the test."""
    started: list[StandIn] = []

    def start() -> StandIn:
        started.append(StandIn())
        return started[-1]

    yield start
    for stand_in in started:
        stand_in.stop()


@pytest.fixture(scope="session")
def catalog_sample(start_service: Callable[..., Any], sample_catalog_dir: Path) -> str:
    """The real catalog service, as a process, over the hand-written sample."""
    service = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(sample_catalog_dir / "catalog.parquet")})
    return service.url


@pytest.fixture(scope="session")
def catalog_real(start_service: Callable[..., Any], real_catalog_dir: Path) -> str:
    """The real catalog service, as a process, over the real dataset."""
    service = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(real_catalog_dir / "catalog.parquet")})
    return service.url


@pytest.fixture(scope="session")
def recsys_trained(redis_server: Any, start_service: Callable[..., Any],
                   real_catalog_dir: Path) -> str:
    """recsys-service over the real model (trained as the ETL does, with the default blend,
    its taste rows included) under a prefix of our own."""
    from etl_job.films import film_table
    from etl_job.model_step import DEFAULT_BLEND, TOP_K
    from etl_job.publish import publish_neighbours
    from etl_job.recommender import train
    from etl_job.recommender.depth import published_lists
    from etl_job.republish import model_titles

    catalog = pl.read_parquet(real_catalog_dir / CATALOG_FILE)
    ratings = pl.read_parquet(real_catalog_dir / RATINGS_FILE)
    taste: list[pl.DataFrame] = []
    trained = train(catalog=catalog, ratings=ratings, blend=DEFAULT_BLEND, top_k=TOP_K,
                    taste=taste)
    lists = published_lists(catalog=catalog, movies=trained, films=film_table(catalog),
                            depth=TOP_K)
    prefix = f"test-real-{uuid.uuid4().hex[:8]}"
    publish_neighbours(redis_url=redis_server.url, key_prefix=prefix, neighbours=lists,
                       titles=model_titles(catalog), meta={"model_version": "real-test"},
                       taste=taste[0])
    return start_service("recsys_service.main:create_app",
                         {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix}).url
