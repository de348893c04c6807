"""Each kind of report opened in headless Chromium: charts drawn, filters work, nothing runs.

Skipped with a message saying how to install Chromium where there is none; under CI
(CI=true) a missing browser fails instead. Screenshots go to test-artifacts/reports/.
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crane_bench.reports import build_history, build_report
from tests.reports.browser import ARTIFACTS, PageLog, open_report, save_screenshot
from tests.reports.run_builders import SCRIPT_CASE, SCRIPT_PROMPT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]


DRAWN_TRACES = """(div) => ({
  asked: JSON.parse(document.getElementById(div.dataset.chart).textContent).data
    .map((trace) => trace.type || "scatter"),
  drawn: div._fullData.filter((trace) => trace.visible === true).map((trace) => trace.type),
})"""


def _every_chart_drawn(page: Page) -> int:
    charts = page.locator("[data-chart]")
    total = charts.count()
    for i in range(total):
        chart = charts.nth(i)
        assert chart.locator("svg.main-svg").count() >= 1, chart.get_attribute("id")
        # A trace type the bundle lacks still gets axes, but plotly hides the trace.
        types = chart.evaluate(DRAWN_TRACES)
        assert types["drawn"] == types["asked"], chart.get_attribute("id")
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


def test_a_changed_plotly_bundle_does_not_run(browser: Browser, eval_dir: Path) -> None:
    # The policy admits plotly.js by the hash of its source: one changed byte and the
    # browser refuses it, and the page says so in place of each chart.
    path = build_report(eval_dir)
    html = path.read_text(encoding="utf-8")
    banner = "/**\n* plotly.js (cartesian - minified)"
    marker = 'id="plotly-js" data-encoding="gzip+base64">'
    start = html.index(marker) + len(marker)
    packed = html[start : html.index("</script>", start)]
    source = gzip.decompress(base64.b64decode(packed)).decode("utf-8")
    assert source.startswith(banner)
    changed = base64.b64encode(
        gzip.compress(source.replace("Plotly, Inc.", "Plotly, Inc!", 1).encode())
    ).decode()
    path.write_text(html.replace(packed, changed), encoding="utf-8")
    page = browser.new_page()
    log = PageLog()
    log.watch(page)
    page.goto(path.as_uri())
    page.wait_for_selector(".chart-failed")
    assert page.locator(".chart svg.main-svg").count() == 0
    assert page.locator(".chart-failed").count() == page.locator("[data-chart]").count()
    assert any("Content Security Policy" in error for error in log.errors), log.errors
    page.close()
