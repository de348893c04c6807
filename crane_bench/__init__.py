"""Crane Bench."""
