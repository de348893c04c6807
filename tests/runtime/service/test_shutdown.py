"""Shutdown within one budget: the drain answers every waiting client, then the server stops.

In process: the drain's answers (a finished run, or a JSON 503 naming the run) and the
signal hook's order (drain first, the server's own handler after). Live: a real
`crane-bench serve` gets SIGTERM with clients waiting on runs that finish and on runs
that cannot, and a new submission during the drain gets a JSON 503, not a refusal.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import pytest

from crane_bench.runtime.service import InMemoryRunStore, SqliteRunStore
from crane_bench.runtime.service.shutdown import SHUTDOWN_RESERVE_S, DrainOnSignal, run_grace_s
from crane_bench.runtime.service.state import ServiceState
from tests.runtime.service.conftest import asgi_client, script_app
from tests.runtime.service.served import QUICK, RUNS, SLOW, Served

QUICK_NAP = "nap 0.5: what is 2 + 2"


async def until(check: Any, what: str, timeout_s: float = 30.0) -> None:
    """Poll `check()` (sync or async) until true; fails the test after `timeout_s`."""
    for _ in range(int(timeout_s / 0.05)):
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"never: {what}")


def test_runs_get_the_budget_less_the_reserve() -> None:
    assert run_grace_s(8.0) == 8.0 - SHUTDOWN_RESERVE_S
    assert run_grace_s(0.5) == 0.0


async def test_waiting_clients_get_their_run_or_a_503_naming_it() -> None:
    store = InMemoryRunStore()
    app = script_app(drain_timeout_s=SHUTDOWN_RESERVE_S + 0.5, store=store)
    state: ServiceState = app.state.service
    async with asgi_client(app) as client:
        quick = asyncio.create_task(
            client.post(RUNS, params={"wait": "true"}, json={"prompt": "sleep 0.2"})
        )
        slow = asyncio.create_task(
            client.post(RUNS, params={"wait": "true"}, json={"prompt": "sleep 30"})
        )
        executor = state.executor
        assert executor is not None
        await until(lambda: executor.in_flight == 2, "both runs in flight")
        drain = asyncio.create_task(executor.drain(run_grace_s(state.service.drain_timeout_s)))
        await until(lambda: not executor.accepting, "the drain began")
        late = await client.post(RUNS, json={"prompt": "echo late"})
        ready = await client.get("/api/v1/health/readiness")
        quick_answer, slow_answer = await quick, await slow
        await drain
    assert late.status_code == 503
    assert late.json() == {"detail": "the service is shutting down"}
    assert late.headers["retry-after"] == "1"
    assert ready.status_code == 503
    assert quick_answer.status_code == 201
    assert quick_answer.json()["status"] == "completed"
    assert slow_answer.status_code == 503
    body = slow_answer.json()
    assert body["detail"].startswith(f"the service shut down before run {body['run_id']}")
    assert slow_answer.headers["location"] == f"{RUNS}/{body['run_id']}"
    recorded = await store.get(body["run_id"])
    assert recorded is not None
    assert recorded.error is not None
    assert recorded.error.kind == "cancelled"


@pytest.fixture
def server_handler() -> Iterator[list[str]]:
    """A stand-in for the handler a server installs for SIGTERM, recording its calls."""
    calls: list[str] = []

    def handle(sig: int, frame: FrameType | None) -> None:
        calls.append(f"server {signal.Signals(sig).name}")

    before = signal.signal(signal.SIGTERM, handle)
    try:
        yield calls
    finally:
        signal.signal(signal.SIGTERM, before)


async def test_the_signal_drains_first_then_reaches_the_server(server_handler: list[str]) -> None:
    calls = server_handler

    async def drain() -> None:
        calls.append("drain begins")
        await asyncio.sleep(0.05)
        calls.append("drain ends")

    hook = DrainOnSignal(drain)
    assert hook.install()
    try:
        signal.raise_signal(signal.SIGTERM)
        await until(lambda: "server SIGTERM" in calls, "the server's handler ran")
        assert calls == ["drain begins", "drain ends", "server SIGTERM"]
        signal.raise_signal(signal.SIGTERM)  # a second signal goes straight through
        assert calls[-1] == "server SIGTERM"
        assert len(calls) == 4
    finally:
        hook.uninstall()
    assert signal.getsignal(signal.SIGTERM) is not hook._handle


async def test_python_and_asyncio_handlers_are_left_alone() -> None:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ctrl_c = signal.getsignal(signal.SIGINT)  # asyncio.Runner's, under pytest-asyncio
    try:
        hook = DrainOnSignal(asyncio.sleep)  # type: ignore[arg-type]
        assert not hook.install()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == ctrl_c
    finally:
        signal.signal(signal.SIGTERM, before)


async def wait_post(client: httpx.AsyncClient, prompt: str) -> httpx.Response:
    body = {"prompt": prompt, "planner": "sleepy"}
    return await client.post(RUNS, params={"wait": "true"}, json=body)


async def sigterm_with_clients_waiting(service: Served) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=service.url, timeout=60) as client:
        waiting = [
            asyncio.create_task(wait_post(client, prompt))
            for prompt in (QUICK_NAP, QUICK_NAP, SLOW, SLOW, SLOW)
        ]

        async def slow_running() -> bool:
            listed = await client.get(RUNS, params={"status": "running", "limit": 100})
            return listed.json()["count"] >= 3

        await until(slow_running, "the slow runs are running")
        service.process.send_signal(signal.SIGTERM)

        async def draining() -> bool:
            answer = await client.get("/api/v1/health/readiness")
            return answer.status_code == 503

        await until(draining, "readiness says 503")
        late = await client.post(RUNS, json={"prompt": QUICK, "planner": "sleepy"})
        answers = await asyncio.gather(*waiting)
    return {"late": late, "answers": answers, "code": service.process.wait(timeout=60)}


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_answers_every_waiting_client_and_exits_0(
    tmp_path: Path, workers: int
) -> None:
    path = tmp_path / "runs.db"
    service = Served(
        tmp_path / "serve.log",
        store_url=f"sqlite:///{path}",
        workers=workers,
        SERVICE_DRAIN_TIMEOUT_S="5",
    )
    try:
        await asyncio.to_thread(service.wait_ready)
        got = await sigterm_with_clients_waiting(service)
    finally:
        if service.process.poll() is None:
            service.stop()
    log = service.log.read_text()
    late, answers = got["late"], got["answers"]
    assert got["code"] == 0, log[-3000:]
    assert late.status_code == 503, late.text  # answered while draining, not refused
    assert late.json() == {"detail": "the service is shutting down"}
    assert [a.status_code for a in answers] == [201, 201, 503, 503, 503], log[-3000:]
    assert all(a.json()["status"] == "completed" for a in answers[:2])
    cut_short = [a.json()["run_id"] for a in answers[2:]]
    assert "timeout graceful shutdown exceeded" not in log
    store = SqliteRunStore(path)
    await store.open()
    try:
        for run_id in cut_short:
            run = await store.get(run_id)
            assert run is not None
            assert run.error is not None
            assert (run.status, run.error.kind) == ("failed", "cancelled")
    finally:
        await store.close()
