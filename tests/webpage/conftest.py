"""The page's test harness: the real stack as processes (own Redis) and Debian's Chromium."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

CHROMIUM = "/usr/bin/chromium"
# The flags this machine needs: no sandbox as root, no GPU, and nothing that phones home
# (the network is closed and Chromium would keep trying).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
# Generous: the machine is shared, and a page step waits for real processes.
STEP_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Stack:
    gateway: str
    recsys: str
    catalog: str


def _stack(start_service: Callable[..., Any], catalog: str, recsys: str) -> str:
    gateway = start_service("gateway.main:create_app", {
        "CATALOG_SERVICE_URL": catalog, "RECSYS_SERVICE_URL": recsys,
        "DOWNSTREAM_TIMEOUT_SECONDS": "10"})
    return gateway.url


@pytest.fixture(scope="session")
def page_catalog(start_service: Callable[..., Any], sample_catalog_dir: Path) -> str:
    service = start_service("catalog_service.main:create_app",
                            {"CATALOG_PATH": str(sample_catalog_dir / "catalog.parquet")})
    return service.url


@pytest.fixture(scope="session")
def page_neighbours(hand_written_model: Any) -> dict[str, list[tuple[str, float, str]]]:
    """The model the page tests publish: ns1's hand-written list, and a short one for ns2
    ("another long night") naming netflix and hulu titles only, so a filter on disney or
    amazon leaves nothing."""
    return {"ns1": list(hand_written_model.neighbours_of_ns1),
            "ns2": [("ns1", 0.90, "shared director: ana ruiz"),
                    ("hs7", 0.50, "liked by the same viewers")]}


def _publish(redis_url: str, catalog_dir: Path,
             neighbours: dict[str, list[tuple[str, float, str]]], name: str) -> str:
    """Publish `neighbours` over the sample catalog's titles (with the platforms listing each
    film, as the ETL publishes them) under a fresh key prefix; returns the prefix."""
    from etl_job.publish import publish_neighbours
    from etl_job.republish import model_titles

    prefix = f"test-{name}-{uuid.uuid4().hex[:8]}"
    rows = [{"movie_id": movie, "rank": rank, "neighbour_id": other, "score": score,
             "reason": reason}
            for movie, ranked in neighbours.items()
            for rank, (other, score, reason) in enumerate(ranked, start=1)]
    frame = pl.DataFrame(rows, schema={"movie_id": pl.String, "rank": pl.Int32,
                                       "neighbour_id": pl.String, "score": pl.Float64,
                                       "reason": pl.String})
    titles = model_titles(pl.read_parquet(catalog_dir / "catalog.parquet"))
    publish_neighbours(redis_url=redis_url, key_prefix=prefix, neighbours=frame, titles=titles,
                       meta={"model_version": name})
    return prefix


@pytest.fixture(scope="session")
def page_stack(redis_server: Any, start_service: Callable[..., Any], page_catalog: str,
               sample_catalog_dir: Path, page_neighbours: dict) -> Stack:
    """Catalog (sample), recsys over the page's model in the tests' Redis, the gateway."""
    prefix = _publish(redis_server.url, sample_catalog_dir, page_neighbours, "webpage")
    recsys = start_service("recsys_service.main:create_app",
                           {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    return Stack(gateway=_stack(start_service, page_catalog, recsys.url), recsys=recsys.url,
                 catalog=page_catalog)


@pytest.fixture(scope="session")
def stack_without_recsys(redis_server: Any, start_service: Callable[..., Any],
                         page_catalog: str, sample_catalog_dir: Path,
                         page_neighbours: dict) -> Stack:
    """A second gateway whose recsys process was started, answered, then stopped for real."""
    prefix = _publish(redis_server.url, sample_catalog_dir, page_neighbours, "webpage-down")
    recsys = start_service("recsys_service.main:create_app",
                           {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": prefix})
    gateway = _stack(start_service, page_catalog, recsys.url)
    recsys.stop()
    return Stack(gateway=gateway, recsys=recsys.url, catalog=page_catalog)


@pytest.fixture(scope="session")
def sample_titles(sample_data_dir: Path) -> dict[str, str]:
    """Catalog id -> title as the sample CSVs spell it ("ANOTHER Long Night"), first row of
    an id: what the page shows."""
    import csv

    titles: dict[str, str] = {}
    for path in sorted(sample_data_dir.glob("*_titles.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                titles.setdefault(path.name[0] + row["show_id"], row["title"].strip())
    return titles


def _chromium() -> str:
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else str(shutil.which("chromium"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download: executable_path)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Factory: open_page(base_url, **context options) -> a page in a fresh profile.

    Each page gets its own context (empty localStorage); script errors fail the test.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(base_url: str, **options: Any) -> Any:
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"script errors on the page: {errors}"
