"""The fuzzy-search cache shared by the catalog's thread-pool workers: many threads at once."""

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl
import pytest
from catalog_service.index import build_index
from catalog_service.service import SearchCache, search_titles
from contracts.api import TitleHit

ROWS = [{"id": f"ns{i}", "title": f"film {i} of the night"} for i in range(40)]
THREADS = 8
CALLS_PER_THREAD = 3000
QUERIES = [f"film {i}" for i in range(8)]


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads switch every microsecond: a read-then-reorder meets another thread's eviction
    in the middle within a few thousand calls when the cache has no lock."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_many_threads_on_a_small_cache_get_the_uncached_answers_and_no_error(
        make_frame: Callable[[list[dict[str, Any]]], pl.DataFrame],
        busy_switching: None) -> None:
    index = build_index(make_frame(ROWS), data_version="v1")
    expected = {query: search_titles(index=index, query=query, limit=3) for query in QUERIES}
    # Half the questions fit: every thread keeps evicting what another is reading.
    cache = SearchCache(max_entries=len(QUERIES) // 2)
    errors: list[BaseException] = []
    wrong: list[tuple[str, list[TitleHit]]] = []

    def ask(first: int) -> None:
        for call in range(CALLS_PER_THREAD):
            query = QUERIES[(first + call) % len(QUERIES)]
            try:
                hits = search_titles(index=index, query=query, limit=3, cache=cache)
            except Exception as error:  # what an unlocked OrderedDict raised (KeyError)
                errors.append(error)
                continue
            if hits != expected[query]:
                wrong.append((query, hits))

    threads = [threading.Thread(target=ask, args=(first,)) for first in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert wrong == []
    assert len(cache) == len(QUERIES) // 2


def test_a_new_data_version_is_asked_again_not_answered_from_the_cache(
        make_frame: Callable[[list[dict[str, Any]]], pl.DataFrame]) -> None:
    cache = SearchCache(max_entries=8)
    old = build_index(make_frame([{"id": "ns1", "title": "jaws"}]), data_version="v1")
    new = build_index(make_frame([{"id": "ns2", "title": "jaws 2"}]), data_version="v2")

    assert [h.id for h in search_titles(index=old, query="jaws", limit=1, cache=cache)] == ["ns1"]
    assert [h.id for h in search_titles(index=new, query="jaws", limit=1, cache=cache)] == ["ns2"]
    assert len(cache) == 2
