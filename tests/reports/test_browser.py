"""Each kind of report opened in headless Chromium: charts drawn, filters work, nothing runs.

Skipped with a message saying how to install Chromium where there is none; under CI
(CI=true) a missing browser fails instead. Screenshots go to test-artifacts/reports/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crane_bench.reports import build_history, build_report
from tests.reports.browser import ARTIFACTS, launch, open_report, save_screenshot
from tests.reports.run_builders import SCRIPT_CASE, SCRIPT_PROMPT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def _every_chart_drawn(page: Page) -> int:
    charts = page.locator("[data-chart]")
    total = charts.count()
    for i in range(total):
        chart = charts.nth(i)
        assert chart.locator("svg.main-svg").count() >= 1, chart.get_attribute("id")
        box = chart.bounding_box()
        assert box is not None
        assert box["height"] > 100
    return total


def test_eval_report(browser: Browser, eval_dir: Path) -> None:
    page, log = open_report(browser, build_report(eval_dir))
    assert _every_chart_drawn(page) == 6

    rows = page.locator("tr.failure")
    assert rows.count() == 6
    page.select_option("#filter-planner", "pattern")
    page.select_option("#filter-category", "adversarial")
    page.select_option("#filter-outcome", "false_abstain")
    visible = page.locator("tr.failure:visible")
    assert visible.count() == 1
    assert page.locator("#failures-shown").inner_text() == "1"
    assert visible.locator(".case-id").inner_text() == SCRIPT_CASE
    # The payload is shown as text, character for character, and never ran.
    assert visible.locator(".prompt").inner_text() == SCRIPT_PROMPT
    assert page.evaluate("document.querySelectorAll('tbody script').length") == 0
    save_screenshot(page, "eval-report")

    page.fill("#failure-search", "no case says this")
    assert page.locator("tr.failure:visible").count() == 0
    assert page.locator("#failures-empty").is_visible()
    page.fill("#failure-search", "")
    page.select_option("#filter-planner", "")
    page.select_option("#filter-category", "")
    page.select_option("#filter-outcome", "")
    assert page.locator("tr.failure:visible").count() == 6

    page.emulate_media(media="print")
    assert page.locator("#failure-filters").is_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "eval-report.pdf"), landscape=True)

    assert log.errors == []
    assert log.dialogs == []
    assert log.remote == []


def test_load_report(browser: Browser, load_dir: Path) -> None:
    page, log = open_report(browser, build_report(load_dir))
    assert _every_chart_drawn(page) == 6
    error = page.locator("#load-failures pre").first.inner_text()
    assert "<script>alert(3)</script>" in error
    save_screenshot(page, "load-report")
    assert log.errors == []
    assert log.dialogs == []
    assert log.remote == []


def test_history_page(browser: Browser, runs: Path) -> None:
    build_report(runs / "eval_run")
    page, log = open_report(browser, build_history(runs))
    assert _every_chart_drawn(page) == 4
    page.click("a[href='eval_run/report.html']")
    page.wait_for_load_state()
    assert page.url.endswith("eval_run/report.html")
    save_screenshot(page, "history-linked-eval-report")
    assert log.errors == []
    assert log.dialogs == []
    assert log.remote == []
