"""The Polars dtypes of the logical column types in contracts.schema: one map for every reader."""

import polars as pl

from contracts.schema import CATALOG_COLUMNS, RATINGS_COLUMNS

POLARS_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "date": pl.Date(),
    "float32": pl.Float32(),
    "float64": pl.Float64(),
}


def polars_schema(columns: dict[str, str]) -> pl.Schema:
    """A Polars schema for a logical column list (name -> logical type), in its order."""
    return pl.Schema({name: POLARS_TYPES[kind] for name, kind in columns.items()})


CATALOG_SCHEMA = polars_schema(CATALOG_COLUMNS)
RATINGS_SCHEMA = polars_schema(RATINGS_COLUMNS)
