"""One headless Chromium for every browser test of this package.

Package scope, not session: while Playwright's sync API is open it holds an event loop
running in this thread, so an asyncio test run after it would fail; the browser closes
after the last test of this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.reports.browser import launch

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium, launched once for the package's tests (each opens its own page)."""
    yield from launch()
