"""Where the gold evaluation run by the test suite leaves its duration for the summary."""

from __future__ import annotations

import pytest

GOLD_EVAL_SECONDS = pytest.StashKey[float]()
"""Seconds the gold-suite evaluation of `tests/evals/test_quality_gates.py` took."""
