"""Catalog service: answers the six catalog queries and title lookups from the ETL's parquet."""
