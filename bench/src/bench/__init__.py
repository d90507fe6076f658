"""Benchmarks at full scale: generated ratings in the real layout and the `make bench` suite."""
