"""What one `python -m bench.run` measured, written as plain JSON to bench/results.json."""

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.etl import EtlResult
from bench.inprocess import Cost
from bench.load import LoadResult
from bench.profile import Profile
from bench.random_load import RandomResults
from bench.serving import TargetLoad


@dataclass
class Results:
    """Everything one `python -m bench.run` measured; sections left None were not run."""

    date: str
    machine: dict[str, str]
    commands: list[str]
    generated: dict[str, Any] | None = None
    etl: EtlResult | None = None
    pandas: dict[str, Any] | None = None
    reference_connections: int = 16
    load_seconds: int = 5
    loads: list[TargetLoad] = field(default_factory=list)  # the baseline first
    variants: dict[str, list[TargetLoad]] = field(default_factory=dict)
    catalog_costs: list[Cost] = field(default_factory=list)
    redis_costs: list[Cost] = field(default_factory=list)
    service_rss: dict[str, int] = field(default_factory=dict)
    redis_memory: dict[str, int] = field(default_factory=dict)
    redis_empty: dict[str, int] = field(default_factory=dict)  # INFO memory before the ETL
    # what the published version holds: keys, titles with a list, neighbour rows, list depth
    redis_contents: dict[str, int] = field(default_factory=dict)
    load_average_end: float | None = None
    left_out: dict[str, int] = field(default_factory=dict)  # route -> queries without a 200
    notes: list[str] = field(default_factory=list)
    random: RandomResults | None = None


SCHEMA_VERSION = 1
PROFILE_TOP = 8
# The manifest sections worth keeping (rows, EASE, the evaluation's sample and fits).
MANIFEST_KEYS = ("rows", "model", "stage_seconds", "run_seconds")
EVALUATION_KEYS = ("parameters", "sample")


def plain(value: Any) -> Any:
    """A JSON-ready copy of a figure: dataclasses, dicts, lists, paths and numbers."""
    if isinstance(value, Profile):
        return {"samples": value.samples,
                "packages": dict(value.top(value.packages, PROFILE_TOP)),
                "self_frames": dict(value.top(value.self_frames, PROFILE_TOP))}
    if isinstance(value, LoadResult):
        return {**{f.name: getattr(value, f.name) for f in dataclasses.fields(value)},
                "rps": value.rps}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Counter | dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def manifest_subset(manifest: dict[str, Any]) -> dict[str, Any]:
    kept = {key: manifest[key] for key in MANIFEST_KEYS if key in manifest}
    evaluation = manifest.get("evaluation") or {}
    kept["evaluation"] = {key: evaluation[key] for key in EVALUATION_KEYS if key in evaluation}
    return kept


def as_json(results: Results) -> dict[str, Any]:
    """The whole results.json document."""
    document: dict[str, Any] = {"schema_version": SCHEMA_VERSION, **plain(results)}
    if results.etl is not None:
        document["etl"]["manifest"] = manifest_subset(results.etl.manifest)
    return document


def write_json(results: Results, path: Path) -> None:
    # default=str: a figure of a type added later is written as text rather than losing the
    # run's file at the very end of a long benchmark.
    path.write_text(json.dumps(as_json(results), indent=1, ensure_ascii=False, default=str)
                    + "\n", encoding="utf-8")
