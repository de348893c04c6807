"""Fixtures of the CLI tests: a fake llama.cpp server the commands reach by URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.planners.fake_llama import FakeLlama
from tests.runtime.planners.fake_openai import FAKE_KEY


@pytest.fixture
def llama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLlama]:
    """A `FakeLlama` on a real loopback socket, set as `OPENAI_BASE_URL`, no retries."""
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    fake = FakeLlama()
    with fake.serve() as url:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
        monkeypatch.setenv("LLM_MAX_RETRIES", "0")
        yield fake
