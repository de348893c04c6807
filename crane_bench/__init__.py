"""Crane Bench: the `crane-bench` command, the one place that wires the four packages."""
