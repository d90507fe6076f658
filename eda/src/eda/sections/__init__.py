"""The report sections, one module each; every one returns an eda.model.Section."""
