"""Benchmarks behind `make bench`: they print figures and ratios, and never fail on a time."""
