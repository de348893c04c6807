"""Wait until a child process answers HTTP 200 on a URL: one probe, sync and async loops.

The probe decides (the child exited, the time ran out, the answer was 200); the two
loops only fetch and sleep, so both behave the same.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from typing import Final

import httpx

from crane_bench.plumbing.errors import ChildExitedError, NotReadyError

POLL_INTERVAL_S: Final = 0.1
PROBE_TIMEOUT_S: Final = 2.0


class ReadinessProbe:
    """Readiness of `process`: a 200 from `url` within `timeout_s` of the start.

    Args:
        process: The child being waited for.
        url: What answers 200 once the child is ready.
        timeout_s: How long from now it may take.
    """

    def __init__(self, process: subprocess.Popen[bytes], url: str, timeout_s: float) -> None:
        self.process = process
        self.url = url
        self.timeout_s = timeout_s
        self.started = time.monotonic()
        self.ready_after_s: float | None = None
        """Seconds from the probe's start to the first 200, once seen."""

    def check(self, status: int | None) -> bool:
        """Judge one fetch (`status` None: no answer). True once ready.

        Raises:
            ChildExitedError: The child exited.
            NotReadyError: `timeout_s` ran out.
        """
        if status == 200:
            self.ready_after_s = time.monotonic() - self.started
            return True
        code = self.process.poll()
        if code is not None:
            raise ChildExitedError(code)
        if time.monotonic() - self.started > self.timeout_s:
            raise NotReadyError(f"{self.url} did not answer 200 within {self.timeout_s:g} s")
        return False

    def wait(self, interval_s: float = POLL_INTERVAL_S) -> float:
        """Block until ready; return the seconds it took."""
        with httpx.Client(timeout=PROBE_TIMEOUT_S, trust_env=False) as client:
            while not self.check(_status(client, self.url)):
                time.sleep(interval_s)
        return self.ready_after_s or 0.0

    async def wait_async(self, interval_s: float = POLL_INTERVAL_S) -> float:
        """Like `wait`, without blocking the event loop."""
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, trust_env=False) as client:
            # Polling, not an Event: readiness is another process answering HTTP.
            while not self.check(await _status_async(client, self.url)):  # noqa: ASYNC110
                await asyncio.sleep(interval_s)
        return self.ready_after_s or 0.0


def _status(client: httpx.Client, url: str) -> int | None:
    try:
        return client.get(url).status_code
    except httpx.TransportError:
        return None


async def _status_async(client: httpx.AsyncClient, url: str) -> int | None:
    try:
        return (await client.get(url)).status_code
    except httpx.TransportError:
        return None
