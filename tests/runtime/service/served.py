"""`crane-bench serve` as a child process, for the tests that kill or stop it.

The service serves the sleepy planner (`slow_planner.SleepyPattern`, by spec), so a
test chooses which runs stay in flight. It runs in a session of its own, so a SIGKILL
of its process group takes the uvicorn supervisor and every worker at once, as an
out-of-memory kill of a container does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from crane_bench.plumbing.errors import ChildExitedError, NotReadyError
from crane_bench.plumbing.processes import free_port, spawn, stop, tail
from crane_bench.plumbing.readiness import ReadinessProbe

ROOT = Path(__file__).resolve().parents[3]
PLANNER = "sleepy=tests.runtime.service.slow_planner:SleepyPattern"
RUNS = "/api/v1/runs"
QUICK = "what is 2 + 2"
SLOW = "nap 600: what is 3 + 3"  # in flight until the process dies


class Served:
    """One `crane-bench serve` process (a supervisor and its workers, when several)."""

    def __init__(self, log: Path, *, store_url: str, workers: int = 1, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            sys.executable, "-m", "crane_bench.cli.app", "serve", "--port", str(self.port),
            "--workers", str(workers), "--planner", PLANNER,
        ]  # fmt: skip
        environ = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RUN_STORE_URL": store_url,
            "SERVICE_ACCESS_LOG": "false",
            **env,
        }
        self.process = spawn(command, log, env=environ)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Until every probe says ready (with several workers: one answer suffices)."""
        probe = ReadinessProbe(self.process, f"{self.url}/api/v1/health/readiness", timeout_s)
        try:
            probe.wait()
        except (ChildExitedError, NotReadyError) as exc:
            raise RuntimeError(f"serve was not ready ({exc}):\n{tail(self.log)}") from None

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler runs, nothing is drained."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM, then SIGKILL what is left; the exit code."""
        return stop(self.process, grace_s=30)


@contextmanager
def served(log: Path, **options: object) -> Iterator[Served]:
    """A ready service, stopped (if still running) on the way out."""
    service = Served(log, **options)  # type: ignore[arg-type]
    try:
        service.wait_ready()
        yield service
    finally:
        if service.process.poll() is None:
            service.stop()


@dataclass
class Burst:
    """What a burst of submissions got: keys and bodies sent, 201s, and lost answers."""

    bodies: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> body
    accepted: dict[str, str] = field(default_factory=dict)  # key -> run id (201)
    unanswered: set[str] = field(default_factory=set)  # keys whose answer never came


async def submit_burst(service: Served, *, total: int, kill_after: int, senders: int = 8) -> Burst:
    """Submit `total` runs (every third slow) from `senders` clients at once, each with an
    `Idempotency-Key`; SIGKILL the service once `kill_after` got their 201."""
    burst = Burst()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(total):
        queue.put_nowait(index)
    killed = asyncio.Event()

    async def sender() -> None:
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
            while not queue.empty() and not killed.is_set():
                index = queue.get_nowait()
                key = uuid.uuid4().hex
                body = {"prompt": SLOW if index % 3 == 0 else QUICK, "planner": "sleepy"}
                burst.bodies[key] = body
                try:
                    answer = await client.post(RUNS, json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    burst.unanswered.add(key)
                    continue
                if answer.status_code == 201:
                    burst.accepted[key] = answer.json()["run_id"]
                else:
                    burst.unanswered.add(key)
                if len(burst.accepted) >= kill_after and not killed.is_set():
                    killed.set()
                    await asyncio.to_thread(service.kill)

    await asyncio.gather(*(sender() for _ in range(senders)))
    return burst
