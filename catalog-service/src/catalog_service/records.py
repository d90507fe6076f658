"""Title records kept as their JSON answer: a few bytes each instead of a model object each."""

from collections.abc import Iterator, Mapping
from typing import Any

import polars as pl
from contracts.api import TitleRead


class TitleRecords(Mapping[str, TitleRead]):
    """id -> record. The JSON is what /v1/titles/{id} sends; a TitleRead is made on demand.

    23k TitleRead objects held ~86 MB of Python heap; their JSON holds ~15 MB, and serving it
    as is skips validating and serialising a model per request.
    """

    def __init__(
        self, frame: pl.DataFrame, series: Mapping[str, list[dict[str, Any]]] | None = None
    ) -> None:
        series = series or {}
        self._json = {
            row["id"]: TitleRead.model_validate({**row, "series": series.get(row["id"], [])})
            .model_dump_json()
            .encode()
            for row in frame.iter_rows(named=True)
        }

    def __getitem__(self, title_id: str) -> TitleRead:
        return TitleRead.model_validate_json(self._json[title_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)

    def json(self, title_id: str) -> bytes | None:
        """The record's JSON answer, or None for an id not in the catalog."""
        return self._json.get(title_id)
