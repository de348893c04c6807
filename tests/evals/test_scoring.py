"""Scoring: one test per outcome class, the rule order, and what a row records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import JsonValue

from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.scoring import Observation, accepted_despite_validation, score_trial
from crane_bench.runtime.errors import InvalidPlanError, LLMUnavailableError
from crane_bench.runtime.models import (
    Fallback,
    FallbackReason,
    Plan,
    PlanMeta,
    PlanResult,
    PlanStep,
    RunRecord,
    RunStatus,
    StepError,
)
from tests.evals.eval_helpers import CASES, GOLD_PLANS, case

CALC, TODO, ABSTAIN, NEGATIVE_ID = (case(data) for data in CASES)
TWO_STEPS = case(
    {
        "id": "multi",
        "prompt": "add eggs then list",
        "category": "multi_step",
        "expected": {
            "steps": [
                {"tool": "todo_store", "input": {"action": "add", "title": "eggs"}},
                {"tool": "todo_store", "input": {"action": "list"}},
            ]
        },
    }
)


def plan(*steps: tuple[str, dict[str, Any]]) -> Plan:
    return Plan(steps=[PlanStep(tool=tool, input=data) for tool, data in steps])


def result(p: Plan, **meta: Any) -> PlanResult:
    return PlanResult(plan=p, meta=PlanMeta(planner="llm", **meta))


def run(status: RunStatus, output: JsonValue = None) -> RunRecord:
    error = None
    if status is RunStatus.FAILED:
        error = StepError(kind="tool_error", type="ToolError", message="no todo with id 9")
    return RunRecord(
        run_id="r",
        prompt="p",
        status=status,
        output=output,
        error=error,
        created_at=datetime.now(UTC),
        execute_ms=0.5,
    )


def invalid(reason: str = "invalid_input") -> InvalidPlanError:
    return InvalidPlanError("step 1: bad input", reason=reason, meta=None)  # type: ignore[arg-type]


def test_correct_plan_and_outcome() -> None:
    row = score_trial(
        CALC,
        Observation(
            planner="llm", result=result(GOLD_PLANS["calc-add"]), run=run(RunStatus.COMPLETED, 4)
        ),
    )
    assert row.outcome is OutcomeClass.CORRECT
    assert (row.tool_correct, row.args_correct, row.plan_correct, row.end_to_end_correct) == (
        True,
        True,
        True,
        True,
    )
    assert row.valid_plan
    assert row.run_status == "completed"
    assert row.run_output == 4
    assert row.category == "calculator"
    assert row.execute_ms == 0.5


def test_planner_error_records_its_meta() -> None:
    meta = PlanMeta(planner="llm", model="m", tokens_in=7, tokens_out=3, raw_output="{oops")
    row = score_trial(
        CALC, Observation(planner="llm", error=LLMUnavailableError("down", meta=meta))
    )
    assert row.outcome is OutcomeClass.PLANNER_ERROR
    assert (row.tokens_in, row.tokens_out, row.raw_output, row.model) == (7, 3, "{oops", "m")
    assert not row.valid_plan
    assert row.plan is None
    assert row.error == "LLMUnavailableError: down"


def test_a_planner_bug_is_a_planner_error() -> None:
    row = score_trial(CALC, Observation(planner="p", error=RuntimeError("boom"), latency_ms=3.0))
    assert row.outcome is OutcomeClass.PLANNER_ERROR
    assert row.latency_ms == 3.0


def test_timeout() -> None:
    row = score_trial(CALC, Observation(planner="llm", timed_out=True, latency_ms=60_000))
    assert row.outcome is OutcomeClass.TIMEOUT
    assert row.latency_ms == 60_000
    assert not row.end_to_end_correct


def test_planner_error_comes_before_timeout() -> None:
    obs = Observation(planner="llm", error=LLMUnavailableError("down"), timed_out=True)
    assert score_trial(CALC, obs).outcome is OutcomeClass.PLANNER_ERROR


def test_invalid_plan_from_the_planner() -> None:
    meta = PlanMeta(planner="llm", raw_output="not json")
    error = InvalidPlanError("not JSON", reason="invalid_json", meta=meta)
    row = score_trial(CALC, Observation(planner="llm", error=error))
    assert row.outcome is OutcomeClass.INVALID_PLAN
    assert row.raw_output == "not json"
    assert not row.valid_plan


def test_invalid_plan_from_validation_is_not_executed_and_not_valid() -> None:
    bad = plan(("calculator", {"expression": "__import__('os')"}))
    row = score_trial(
        CALC, Observation(planner="llm", result=result(bad), validation_error=invalid())
    )
    assert row.outcome is OutcomeClass.INVALID_PLAN
    assert not row.valid_plan
    assert row.tool_correct
    assert not row.plan_correct


def test_the_expected_plan_is_never_invalid_even_when_a_tool_model_refuses_it() -> None:
    gold = GOLD_PLANS["adv-negative-id"]
    assert accepted_despite_validation(NEGATIVE_ID, gold, invalid())
    row = score_trial(
        NEGATIVE_ID,
        Observation(
            planner="llm",
            result=result(gold),
            validation_error=invalid(),
            run=run(RunStatus.FAILED),
        ),
    )
    assert row.outcome is OutcomeClass.CORRECT
    assert row.valid_plan
    assert row.plan_correct


def test_another_refused_plan_is_still_invalid() -> None:
    other = plan(("todo_store", {"action": "delete", "id": -2}))
    assert not accepted_despite_validation(NEGATIVE_ID, other, invalid())
    assert not accepted_despite_validation(
        NEGATIVE_ID, GOLD_PLANS["adv-negative-id"], invalid("unknown_tool")
    )
    row = score_trial(
        NEGATIVE_ID, Observation(planner="llm", result=result(other), validation_error=invalid())
    )
    assert row.outcome is OutcomeClass.INVALID_PLAN


def test_false_action() -> None:
    acting = plan(("todo_store", {"action": "list"}))
    row = score_trial(
        ABSTAIN, Observation(planner="llm", result=result(acting), run=run(RunStatus.COMPLETED, []))
    )
    assert row.outcome is OutcomeClass.FALSE_ACTION
    assert row.expected_abstain
    assert not row.abstained


def test_false_abstain() -> None:
    row = score_trial(
        CALC, Observation(planner="llm", result=result(Plan()), run=run(RunStatus.COMPLETED))
    )
    assert row.outcome is OutcomeClass.FALSE_ABSTAIN
    assert row.abstained
    assert not row.expected_abstain


def test_correct_abstain() -> None:
    row = score_trial(
        ABSTAIN, Observation(planner="llm", result=result(Plan()), run=run(RunStatus.COMPLETED))
    )
    assert row.outcome is OutcomeClass.CORRECT
    assert row.tool_correct
    assert row.abstained
    assert row.expected_abstain


def test_wrong_step_count() -> None:
    one = plan(("todo_store", {"action": "add", "title": "eggs"}))
    row = score_trial(
        TWO_STEPS, Observation(planner="llm", result=result(one), run=run(RunStatus.COMPLETED))
    )
    assert row.outcome is OutcomeClass.WRONG_STEP_COUNT
    assert not row.step_count_correct
    assert not row.tool_correct


def test_wrong_tool() -> None:
    wrong = plan(("todo_store", {"action": "add", "title": "2 + 2"}))
    row = score_trial(
        CALC, Observation(planner="llm", result=result(wrong), run=run(RunStatus.COMPLETED))
    )
    assert row.outcome is OutcomeClass.WRONG_TOOL
    assert row.step_count_correct
    assert not row.tool_correct


def test_wrong_args() -> None:
    wrong = plan(("calculator", {"expression": "2 + 3"}))
    row = score_trial(
        CALC, Observation(planner="llm", result=result(wrong), run=run(RunStatus.COMPLETED, 5))
    )
    assert row.outcome is OutcomeClass.WRONG_ARGS
    assert row.tool_correct
    assert not row.args_correct
    assert not row.plan_correct


@pytest.mark.parametrize(
    ("the_case", "record"),
    [
        (CALC, run(RunStatus.COMPLETED, 5)),  # wrong output
        (CALC, run(RunStatus.FAILED)),  # should have completed
        (NEGATIVE_ID, run(RunStatus.COMPLETED, {"deleted": 1})),  # fails: true, but completed
    ],
    ids=["wrong-output", "failed-instead-of-completing", "completed-instead-of-failing"],
)
def test_outcome_mismatch(the_case: Any, record: RunRecord) -> None:
    row = score_trial(
        the_case,
        Observation(planner="llm", result=result(GOLD_PLANS[the_case.id]), run=record),
    )
    assert row.outcome is OutcomeClass.OUTCOME_MISMATCH
    assert row.plan_correct
    assert not row.end_to_end_correct


def test_a_right_plan_whose_run_timed_out_still_counts_for_plan_accuracy() -> None:
    obs = Observation(planner="llm", result=result(GOLD_PLANS["calc-add"]), timed_out=True)
    row = score_trial(CALC, obs)
    assert row.outcome is OutcomeClass.TIMEOUT
    assert row.plan_correct
    assert not row.end_to_end_correct
    assert row.run_status is None


def test_row_records_cost_fallback_cache_and_tags() -> None:
    fallback = Fallback(reason=FallbackReason.INVALID_JSON, detail="x")
    obs = Observation(
        planner="hybrid",
        repeat=2,
        result=result(
            GOLD_PLANS["adv-negative-id"],
            latency_ms=12.5,
            tokens_in=100,
            tokens_out=20,
            cost_usd=0.001,
            model="m",
            fallback=fallback,
            raw_output="raw",
        ),
        validation_error=invalid(),
        run=run(RunStatus.FAILED),
        latency_ms=99.0,
        cached=True,
    )
    row = score_trial(NEGATIVE_ID, obs)
    assert row.planner == "hybrid"
    assert row.repeat == 2
    assert row.tags == ["input-validation"]
    assert (row.latency_ms, row.tokens_in, row.tokens_out, row.cost_usd) == (12.5, 100, 20, 0.001)
    assert (row.fallback_reason, row.model, row.raw_output, row.cached) == (
        "invalid_json",
        "m",
        "raw",
        True,
    )
    assert row.error == "InvalidPlanError: step 1: bad input"
