"""Prometheus metrics: they parse, they move with runs, and each app has its own."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from crane_bench.runtime.models import (
    Fallback,
    FallbackReason,
    Plan,
    PlanMeta,
    PlanStep,
    RunRecord,
    RunStatus,
    StepError,
    StepRecord,
    StepStatus,
)
from crane_bench.runtime.service import ServiceMetrics
from tests.runtime.service.conftest import asgi_client, script_app

RUNS = "/api/v1/runs"


def scrape(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def run_and_scrape(
    client: httpx.AsyncClient, *prompts: str
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    for prompt in prompts:
        answer = await client.post(RUNS, params={"wait": "true"}, json={"prompt": prompt})
        assert answer.status_code == 201
    exposition = await client.get("/metrics")
    assert exposition.headers["content-type"].startswith("text/plain")
    return scrape(exposition.text)


async def test_counters_move_as_runs_are_made() -> None:
    async with asgi_client(script_app(run_timeout_s=0.3)) as client:
        before = await run_and_scrape(client)
        after = await run_and_scrape(client, "echo a", "echo b", "flaky c", "refuse", "sleep 30")
    assert value(before, "crane_runs_total", planner="script", status="completed") == 0
    assert value(after, "crane_runs_total", planner="script", status="completed") == 3
    assert value(after, "crane_runs_total", planner="script", status="failed") == 1
    # The run that timed out never got a plan, so it carries the name it was asked for.
    assert value(after, "crane_runs_total", planner="pattern", status="failed") == 1
    assert value(after, "crane_steps_total", tool="echo", status="completed") == 2
    assert value(after, "crane_steps_total", tool="sleep", status="timeout") == 0  # run timeout
    assert value(after, "crane_step_retries_total", tool="flaky") == 1
    assert value(after, "crane_timeouts_total", scope="run") == 1
    assert value(after, "crane_run_duration_seconds_count", planner="script") == 4
    assert value(after, "crane_planner_latency_seconds_count", planner="script") == 4
    assert value(after, "crane_planner_latency_seconds_count", planner="pattern") == 0
    assert value(after, "crane_llm_tokens_total", planner="script", direction="in") == 12
    assert value(after, "crane_runs_in_flight") == 0


async def test_json_summary_has_rates_and_per_tool_usage() -> None:
    async with asgi_client(script_app()) as client:
        await run_and_scrape(client, "echo a", "flaky b", "refuse")
        summary = (await client.get("/api/v1/health/metrics")).json()
    assert summary["runs_total"] == 3
    assert summary["runs_by_status"] == {"completed": 2, "failed": 1}
    assert summary["success_rate"] == pytest.approx(2 / 3)
    assert summary["tools"]["flaky"]["retries"] == 1
    assert summary["tools"]["echo"]["success_rate"] == 1.0
    assert summary["tools"]["echo"]["avg_duration_ms"] >= 0
    assert summary["planners"]["script"]["runs"] == 3
    assert summary["planners"]["script"]["tokens_out"] == 6
    assert summary["retries"] == 1


async def test_summary_before_any_run_has_no_rates() -> None:
    async with asgi_client(script_app()) as client:
        summary = (await client.get("/api/v1/health/metrics")).json()
    assert summary["runs_total"] == 0
    assert summary["success_rate"] is None
    assert summary["tools"] == {}


async def test_two_apps_do_not_share_metrics() -> None:
    first, second = ServiceMetrics(), ServiceMetrics()
    async with asgi_client(script_app(metrics=first)) as client:
        await run_and_scrape(client, "echo a")
    async with asgi_client(script_app(metrics=second)) as client:
        samples = await run_and_scrape(client)
    assert first.summary().runs_total == 1
    assert second.summary().runs_total == 0
    assert value(samples, "crane_runs_total", planner="script", status="completed") == 0


def test_fallbacks_and_step_timeouts_are_counted() -> None:
    metrics = ServiceMetrics()
    metrics.run_finished(
        RunRecord(
            run_id="r",
            prompt="p",
            status=RunStatus.FAILED,
            plan=Plan(
                steps=[
                    PlanStep(tool="calculator", input={}),
                    PlanStep(tool="todo_store", input={}),
                ]
            ),
            planner=PlanMeta(
                planner="hybrid",
                tokens_in=10,
                tokens_out=4,
                fallback=Fallback(reason=FallbackReason.INVALID_JSON),
            ),
            steps=[
                StepRecord(
                    index=0,
                    tool="calculator",
                    input={},
                    status=StepStatus.TIMEOUT,
                    error=StepError(kind="timeout", type="TimeoutError", message="slow"),
                ),
                StepRecord(index=1, tool="todo_store", input={}, status=StepStatus.SKIPPED),
            ],
            created_at=datetime.now(UTC),
        )
    )
    summary = metrics.summary()
    assert summary.fallbacks == {"invalid_json": 1}
    assert summary.timeouts == {"step": 1}
    assert summary.tools["calculator"].success_rate == 0.0
    assert summary.tools["todo_store"].success_rate is None
    assert summary.planners["hybrid"].tokens_in == 10


def test_tool_names_outside_the_registry_share_one_label() -> None:
    metrics = ServiceMetrics(tools=["calculator"])
    steps = [
        StepRecord(index=i, tool=name, input={}, status=StepStatus.SKIPPED)
        for i, name in enumerate(["calculator", "made_up_1", "made_up_2"])
    ]
    metrics.run_finished(
        RunRecord(
            run_id="r",
            prompt="p",
            status=RunStatus.FAILED,
            steps=steps,
            created_at=datetime.now(UTC),
        )
    )
    assert set(metrics.summary().tools) == {"calculator", "(unknown)"}
    assert metrics.summary().tools["(unknown)"].steps == 2
