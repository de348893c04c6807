"""The report's transcript panels in headless Chromium: open, show model output as text, compare."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from crane_bench.evals.run_config import EvalConfig
from crane_bench.reports import build_report
from tests.evals.eval_helpers import offline_settings, run_new, write_cases
from tests.reports.browser import open_report, save_screenshot
from tests.runtime.planners.fake_llama import FakeLlama, completion_json, is_chat
from tests.runtime.planners.fake_openai import FAKE_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
CASE = {
    "id": "todo-add-milk",
    "prompt": "add buy milk to my list",
    "category": "todo",
    "expected": {
        "steps": [{"tool": "todo_store", "input": {"action": "add", "title": "buy milk"}}]
    },
}


def make_run(tmp_path: Path) -> Path:
    """pattern (right) and the decomposed llm planner (its model writes an XSS title)."""
    fake = FakeLlama()

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "fake-model"}]})
        chat = is_chat(request)
        return httpx.Response(200, json=completion_json(chat, f"yes\ntodo_add\nTitle: {PAYLOAD}"))

    fake.repeat = server
    settings = offline_settings(
        openai_base_url="https://llm.example.test/v1", openai_api_key=FAKE_KEY, llm_model="m"
    )
    cfg = EvalConfig.model_validate(
        {
            "planners": ("pattern", "llm[mode=decomposed]"),
            "case_paths": (write_cases(tmp_path / "cases.yaml", [CASE]),),
            "use_cache": False,
        }
    )
    coroutine = run_new(
        cfg, settings, tmp_path / "run", http_transport=lambda: httpx.MockTransport(server)
    )
    # Playwright's sync API holds this thread's event loop: run the eval on another thread.
    with ThreadPoolExecutor(1) as pool:
        run, _ = pool.submit(asyncio.run, coroutine).result()
    return build_report(run.path)


def test_a_failing_row_opens_its_transcript_and_compares_it(
    browser: Browser, tmp_path: Path
) -> None:
    page, log = open_report(browser, make_run(tmp_path))

    row = page.locator("tr.failure")
    assert row.count() == 1  # the llm planner's wrong title; the rules were right
    panel = page.locator("details.transcript-panel")
    assert not panel.locator(".transcript").is_visible()
    panel.locator("> summary").click()
    transcript = panel.locator(".transcript")
    assert transcript.is_visible()
    assert "model call 1" in transcript.inner_text()
    raw = transcript.locator("pre.raw-output").first
    assert raw.is_visible()
    assert (
        raw.inner_text() == f"yes\ntodo_add\nTitle: {PAYLOAD}"
    )  # as text, character for character
    score = transcript.locator("li.event.score")
    assert "wrong_args" in score.inner_text()
    assert "step 1 input.title" in score.inner_text()

    compare = page.locator("details.compare")
    compare.locator("> summary").click()
    left, right = (
        compare.locator(".pane.left .transcript"),
        compare.locator(".pane.right .transcript"),
    )
    assert left.get_attribute("data-planner") == "llm[mode=decomposed]"
    assert right.get_attribute("data-planner") == "pattern"
    assert right.is_visible()
    assert "score: correct" in right.inner_text()
    box_left, box_right = left.bounding_box(), right.bounding_box()
    assert box_left is not None
    assert box_right is not None
    assert box_left["x"] < box_right["x"]  # side by side
    assert abs(box_left["y"] - box_right["y"]) < 5

    assert page.evaluate("window.__xss === undefined")  # the payload never ran
    assert (
        page.evaluate("document.querySelectorAll('.transcript img, .transcript script').length")
        == 0
    )
    assert log.errors == []
    assert log.remote == []
    save_screenshot(page, "eval-report-transcripts")
