"""Without Chromium the browser tests skip and say how to install it; under CI they fail."""

from __future__ import annotations

import pytest

from tests.reports.browser import unavailable


def test_missing_browser_skips_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        unavailable("no Chromium found")


def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        unavailable("no Chromium found")
