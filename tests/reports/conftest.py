"""Copies of the fixture run directories (a report build writes into its run directory)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """A copy of tests/reports/data: cases/, eval_run/, load_run/."""
    target = tmp_path / "runs"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def eval_dir(runs: Path) -> Path:
    return runs / "eval_run"


@pytest.fixture
def load_dir(runs: Path) -> Path:
    return runs / "load_run"
