"""A model server that serves one request at a time, as llama.cpp's does, so it slows down
as concurrency rises: each request waits for the ones before it, then takes its own time.

It answers the decomposed planner's per-clause question with " no" (no tool), in a
well-formed completion body (`tests.runtime.planners.fake_llama`), at the HTTP level.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.runtime.planners.fake_llama import ABSTAIN, FakeLlama, completion_json, is_chat


class OneSlot:
    """Answers requests one at a time, each after `service_s` seconds of "work"."""

    def __init__(self, service_s: float) -> None:
        self.service_s = service_s
        self._slot = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._slot:
            time.sleep(self.service_s)
        # The decomposed planner sends a grammar and reads a label; the one-shot reads JSON.
        text = ABSTAIN[False] if b'"grammar"' in request.content else ABSTAIN[True]
        return httpx.Response(200, json=completion_json(is_chat(request), text))


@contextmanager
def slow_llama(service_s: float) -> Iterator[str]:
    """Serve a one-slot model on a loopback port; yield its /v1 URL."""
    fake = FakeLlama(repeat=OneSlot(service_s))
    with fake.serve() as url:
        yield url
