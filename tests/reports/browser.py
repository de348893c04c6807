"""Headless Chromium for the browser tests: find it, or skip (fail under CI) saying how to get it.

The tests use the system's Chromium (Debian's `chromium` package) through Playwright's
sync API; they never download a browser (`playwright install` is not needed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
HOW_TO_INSTALL = (
    "install it with `apt-get install chromium` (or point CRANE_CHROMIUM at a Chromium binary)"
)


def find_chromium() -> str | None:
    """CRANE_CHROMIUM, /usr/bin/chromium, or a chromium on PATH."""
    for candidate in (os.environ.get("CRANE_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable(reason: str) -> None:
    """Skip, or fail under CI (CI=true), where a missing browser must not pass quietly."""
    message = f"{reason}; {HOW_TO_INSTALL}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {message}")
    pytest.skip(message)


def launch() -> Iterator[Browser]:
    """A headless Chromium for the length of the fixture."""
    executable = find_chromium()
    if executable is None:
        unavailable("no Chromium found")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageLog:
    """What a page did that a test checks: console errors, dialogs, requests."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", on_dialog)
        page.on("request", lambda request: self.requests.append(request.url))

    @property
    def remote(self) -> list[str]:
        """Requests that left the machine (anything but the file and inline data)."""
        return [url for url in self.requests if not url.startswith(("file:", "data:", "blob:"))]


def open_report(browser: Browser, path: Path) -> tuple[Page, PageLog]:
    """Open a report from file:// and wait until every chart has been drawn."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    log = PageLog()
    log.watch(page)
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every((div) => div.dataset.rendered === 'true')",
        timeout=30_000,
    )
    return page, log


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/reports/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
