"""A run record from the service scored as an eval trial (`load.scoring.score_run`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crane_bench.load.gold import run_body
from crane_bench.load.scoring import score_run, score_unserved
from crane_bench.runtime.models import Plan, PlanMeta, PlanStep, RunRecord, RunStatus, StepError
from tests.load.gold_rows import case

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ADD = Plan(steps=[PlanStep(tool="calculator", input={"expression": "2+2"})])


def record(**values: Any) -> RunRecord:
    data: dict[str, Any] = {
        "run_id": "r1",
        "prompt": "calculate 2 + 2",
        "status": RunStatus.COMPLETED,
        "plan": ADD,
        "planner": PlanMeta(planner="hybrid", model_calls=1),
        "output": 4,
        "created_at": NOW,
        "plan_ms": 12.0,
    }
    return RunRecord.model_validate(data | values)


def test_a_right_run_is_correct_with_its_planner_metadata() -> None:
    row = score_run(case("c"), record(), planner="fast")
    assert (row.outcome.value, row.plan_correct, row.end_to_end_correct) == ("correct", True, True)
    assert (row.planner, row.model_calls, row.latency_ms) == ("fast", 1, 12.0)


def test_a_wrong_output_is_an_outcome_mismatch() -> None:
    row = score_run(case("c"), record(output=5), planner="p")
    assert row.outcome.value == "outcome_mismatch"
    assert row.plan_correct
    assert not row.end_to_end_correct


def test_a_planner_error_keeps_the_fallback_and_model_calls() -> None:
    meta = PlanMeta(planner="llm", model_calls=2)
    error = StepError(kind="planner_error", type="LLMTimeoutError", message="too slow")
    run = record(status=RunStatus.FAILED, plan=None, output=None, planner=meta, error=error)
    row = score_run(case("c"), run, planner="llm")
    assert row.outcome.value == "planner_error"
    assert row.model_calls == 2
    assert row.error == "PlannerError: too slow"


def test_an_invalid_plan_from_the_planner_is_invalid_plan() -> None:
    error = StepError(kind="planner_error", type="InvalidPlanError", message="not JSON")
    run = record(status=RunStatus.FAILED, plan=None, output=None, error=error)
    assert score_run(case("c"), run, planner="llm").outcome.value == "invalid_plan"


def test_the_service_run_timeout_is_a_timeout() -> None:
    error = StepError(kind="run_timeout", type="TimeoutError", message="run timed out")
    run = record(status=RunStatus.FAILED, plan=None, output=None, error=error)
    assert score_run(case("c"), run, planner="p").outcome.value == "timeout"


def test_a_run_the_service_never_served_is_a_wrong_timeout_not_left_out() -> None:
    row = score_unserved(case("c"), planner="hybrid", failure="submit: HTTP 429")
    assert (row.outcome.value, row.planner) == ("timeout", "hybrid")
    assert (row.plan_correct, row.end_to_end_correct) == (False, False)
    assert row.error == "not served: submit: HTTP 429"


def test_a_plan_the_eval_would_not_execute_is_invalid_whatever_the_service_made_of_it() -> None:
    bad = Plan(steps=[PlanStep(tool="weather", input={"city": "Oslo"})])
    error = StepError(kind="unknown_tool", type="UnknownToolError", message="no tool weather")
    run = record(status=RunStatus.FAILED, plan=bad, output=None, error=error)
    row = score_run(case("c"), run, planner="p")
    assert row.outcome.value == "invalid_plan"
    assert not row.valid_plan


def test_a_request_body_carries_the_setup_only_when_there_is_one() -> None:
    with_todos = case("t", setup={"todos": ["buy milk", "call mom"]})
    assert run_body(with_todos, "hybrid") == {
        "prompt": "calculate 2 + 2",
        "planner": "hybrid",
        "setup": {"todos": ["buy milk", "call mom"]},
    }
    assert run_body(case("c"), None) == {"prompt": "calculate 2 + 2"}
