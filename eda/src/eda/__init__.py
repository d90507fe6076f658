"""The exploratory data analysis report over the ETL output (catalog, ratings, manifest)."""
