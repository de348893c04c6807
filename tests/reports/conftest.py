"""Copies of the fixture run directories (a report build writes into its run directory),
and the one headless Chromium of the browser tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.reports.browser import launch

if TYPE_CHECKING:
    from playwright.sync_api import Browser

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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Chromium, launched once for every browser test of the session (each opens its own page)."""
    yield from launch()
