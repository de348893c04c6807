"""The executor on its own: admission, deadlines, draining, and what it records."""

from __future__ import annotations

import pytest

from crane_bench.runtime.agent import Agent
from crane_bench.runtime.models import RunStatus
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.service import (
    InMemoryRunStore,
    PlannerUnavailableError,
    RunExecutor,
    ServiceMetrics,
    ServiceUnavailableError,
)
from tests.runtime.service.conftest import ScriptPlanner, script_tools


def make_executor(
    *, run_timeout_s: float = 10.0, max_in_flight: int = 100
) -> tuple[RunExecutor, InMemoryRunStore, ServiceMetrics]:
    store, metrics = InMemoryRunStore(), ServiceMetrics()
    agent = Agent(ScriptPlanner(), Orchestrator(on_retry=metrics.step_retried), script_tools)
    executor = RunExecutor(
        {"pattern": agent},
        store,
        metrics,
        run_timeout_s=run_timeout_s,
        max_in_flight=max_in_flight,
    )
    return executor, store, metrics


async def test_a_run_ends_completed_and_leaves_flight() -> None:
    executor, _, metrics = make_executor()
    pending = (await executor.submit("echo hi", "pattern")).run
    assert pending.status == "pending"
    assert executor.in_flight == 1
    run = await executor.wait(pending.run_id)
    assert run is not None
    assert run.status == "completed"
    assert run.created_at == pending.created_at
    await executor.drain(1.0)  # lets the done-callback run
    assert executor.in_flight == 0
    assert metrics.summary().runs_in_flight == 0


async def test_drain_fails_runs_that_never_started() -> None:
    executor, store, metrics = make_executor()
    # No await between submission and drain: the task never gets to run its body.
    pending = (await executor.submit("echo never", "pattern")).run
    await executor.drain(0)
    run = await store.get(pending.run_id)
    assert run is not None
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.kind == "cancelled"
    assert metrics.summary().runs_by_status == {"failed": 1}
    assert metrics.summary().runs_in_flight == 0


async def test_after_drain_submissions_are_refused_and_counted() -> None:
    executor, _, metrics = make_executor()
    await executor.drain(0)
    with pytest.raises(ServiceUnavailableError) as caught:
        await executor.submit("echo late", "pattern")
    assert caught.value.reason == "shutting_down"
    assert metrics.summary().runs_rejected == 1


async def test_unknown_planner_is_refused() -> None:
    executor, _, _ = make_executor()
    with pytest.raises(PlannerUnavailableError, match="available: pattern"):
        await executor.submit("echo a", "llm")


async def test_busy_executor_refuses_beyond_the_bound() -> None:
    executor, _, _ = make_executor(max_in_flight=1)
    await executor.submit("sleep 30", "pattern")
    with pytest.raises(ServiceUnavailableError) as caught:
        await executor.submit("echo a", "pattern")
    assert caught.value.reason == "busy"
    await executor.drain(0)


async def test_wait_for_an_unknown_run_is_none() -> None:
    executor, _, _ = make_executor()
    assert await executor.wait("nope") is None


async def test_a_run_timeout_is_recorded_once_and_counted() -> None:
    executor, store, metrics = make_executor(run_timeout_s=0.1)
    pending = (await executor.submit("sleep 30", "pattern")).run
    run = await executor.wait(pending.run_id)
    assert run is not None
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.kind == "run_timeout"
    await executor.drain(1.0)
    summary = metrics.summary()
    assert summary.timeouts == {"run": 1}
    assert summary.runs_by_status == {"failed": 1}
    for unfinished in (RunStatus.PENDING, RunStatus.RUNNING):
        assert await store.recent(limit=100, status=unfinished) == []
