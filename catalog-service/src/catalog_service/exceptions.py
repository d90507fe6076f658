"""Errors of the catalog service that are not answers to a request."""


class CatalogUnreadable(RuntimeError):
    """The catalog parquet or its manifest is missing or not in the agreed layout."""
