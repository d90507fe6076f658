"""A whole stack of real processes on loopback per test: its own redis-server, catalog, recsys,
gateway, started the way `make up` starts them, so a test may kill, stall or signal any of them.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit.stack import Stack, StackFactory, stack_starter


@pytest.fixture
def stack_factory(tmp_path: Path, sample_catalog_dir: Path,
                  hand_written_model) -> Iterator[StackFactory]:
    """For tests that kill or end a process: stacks of the test's own."""
    with stack_starter(tmp_path, sample_catalog_dir, hand_written_model) as start:
        yield start


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_catalog_dir: Path,
          hand_written_model) -> Iterator[Stack]:
    """One stack per module, for tests that leave every process as they found it (a frozen
    process is thawed again)."""
    with stack_starter(tmp_path_factory.mktemp("stack"), sample_catalog_dir,
                       hand_written_model) as start:
        yield start()
