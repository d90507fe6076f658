"""scripts/stack.py (`make up` / `make etl`): what a fresh clone meets."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stack_script", REPO / "scripts" / "stack.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_up_remembers_its_dataset_on_a_clone_without_a_run_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    stack = _stack()
    run_dir = tmp_path / "clone" / ".run"  # a fresh clone: no .run yet
    run_dir.parent.mkdir()
    monkeypatch.setattr(stack, "RUN_DIR", run_dir)
    monkeypatch.setattr(stack, "REMEMBERED_DATA_DIR", run_dir / "data_dir")
    served = tmp_path / "raw"
    served.mkdir()
    (served / "netflix_titles.csv").write_text("show_id\n")
    stack.remember_data_dir(served)
    # `make etl` with a DATA_DIR that holds nothing runs on what `make up` served.
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "empty"))
    assert stack.data_dir(remembered=True) == served
