"""Contracts shared by the parts of the system: settings base, domain values, schema, errors."""
