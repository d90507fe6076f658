"""Fixtures of the ETL tests: the `etl-job` console script run as a real process."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("etl-job")
# The settings a test passes explicitly; inherited values (from `make`, CI) would leak in.
ETL_SETTINGS = ("DATA_DIR", "OUTPUT_DIR", "REDIS_URL", "REDIS_KEY_PREFIX", "REDIS_CLUSTER")

EtlRunner = Callable[..., subprocess.CompletedProcess[str]]


def run_etl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`etl-job <args>` with exactly the given settings; output captured as text."""
    clean = {k: v for k, v in os.environ.items() if k not in ETL_SETTINGS}
    return subprocess.run([str(SCRIPT), *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def etl() -> EtlRunner:
    return run_etl


@pytest.fixture(scope="session")
def etl_killed_at() -> EtlRunner:
    """`etl-job run` SIGKILLed when it logs the named commit step (testkit/killed_etl.py);
    each step reached is appended to the file `steps_log` names, if given."""
    from testkit.killed_etl import SCRIPT

    def run(env: dict[str, str], step: str, steps_log: Path | None = None,
            ) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if k not in ETL_SETTINGS}
        log = {"STEPS_LOG": str(steps_log)} if steps_log else {}
        return subprocess.run([sys.executable, str(SCRIPT), "run"], capture_output=True,
                              text=True, env={**clean, **env, "KILL_AT": step, **log},
                              timeout=300, check=False)
    return run



@pytest.fixture
def writable_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a dataset folder where the test may change it (the originals are read-only)."""
    def copy(source: Path) -> Path:
        target = tmp_path / "data"
        shutil.copytree(source, target)
        return target
    return copy


@pytest.fixture
def catalog_run(etl: EtlRunner, tmp_path: Path) -> Callable[[Path], Path]:
    """Run `etl-job catalog` over a dataset; the output folder, holding one good run."""
    def run(data: Path) -> Path:
        output = tmp_path / "out"
        done = etl({"DATA_DIR": str(data), "OUTPUT_DIR": str(output)}, "catalog")
        assert done.returncode == 0, done.stderr
        return output
    return run
