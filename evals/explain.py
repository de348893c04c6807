"""Why a trial got its outcome class, in words and field by field. Pure functions.

`explain_trial` reads a scored row (`TrialResult`) and says which rule of
`evals.scoring` decided it and, for a wrong plan, which field mismatched and why, using
the same matching rules the scorer used (`evals.matching`): a calculator expression is
judged by its value, strings ignoring case and punctuation at the ends, `any_of` by any
option. It explains; it never re-decides: the outcome is the row's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from pydantic import BaseModel, ConfigDict, JsonValue

from crane_bench.evals.cases import ExpectedPlan, ExpectedStep
from crane_bench.evals.matching import (
    CALCULATOR,
    EXPRESSION,
    is_any_of,
    match_expression,
    match_outcome,
    match_value,
)
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools.calculator import evaluate

_MAX_VALUE: Final = 200


class Mismatch(BaseModel):
    """One field of the plan (or of the run) that does not match the case."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    field: str
    """Where: `steps`, `step 2 tool`, `step 1 input.expression`, `outcome`."""
    expected: JsonValue = None
    actual: JsonValue = None
    why: str


class Explanation(BaseModel):
    """The rule that decided the outcome, and the mismatches behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: OutcomeClass
    summary: str
    mismatches: list[Mismatch]


def _text(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _value_of(expression: object) -> str:
    if not isinstance(expression, str):
        return "not a string"
    try:
        return f"= {evaluate(expression)}"
    except CalculatorError as exc:
        return f"refused by the calculator ({exc})"


def _expression_why(expected: JsonValue, actual: object) -> str:
    options = expected["any_of"] if is_any_of(expected) else [expected]
    wanted = "; ".join(f"{_text(o)} {_value_of(o)}" for o in options)
    return f"expression {_text(actual)} {_value_of(actual)}, expected {wanted}"


def _input_mismatches(number: int, want: ExpectedStep, got: PlanStep) -> list[Mismatch]:
    expected = {k: v for k, v in want.input.items() if v is not None}
    actual: Mapping[str, JsonValue] = {k: v for k, v in got.input.items() if v is not None}
    found: list[Mismatch] = []
    for key in sorted(set(expected) | set(actual)):
        where = f"step {number} input.{key}"
        if key not in actual:
            found.append(Mismatch(field=where, expected=expected[key], why="missing"))
        elif key not in expected:
            found.append(Mismatch(field=where, actual=actual[key], why="not expected"))
        elif want.tool == CALCULATOR and key == EXPRESSION:
            if not match_expression(expected[key], actual[key]):
                why = _expression_why(expected[key], actual[key])
                found.append(
                    Mismatch(field=where, expected=expected[key], actual=actual[key], why=why)
                )
        elif not match_value(expected[key], actual[key]):
            why = "different value (strings compare ignoring case and end punctuation)"
            found.append(Mismatch(field=where, expected=expected[key], actual=actual[key], why=why))
    return found


def _plan_mismatches(expected: ExpectedPlan, steps: list[PlanStep]) -> list[Mismatch]:
    want = list(expected.steps)
    found: list[Mismatch] = []
    if len(want) != len(steps):
        found.append(
            Mismatch(
                field="steps",
                expected=[s.tool for s in want],
                actual=[s.tool for s in steps],
                why=f"{len(want)} step(s) expected, {len(steps)} planned",
            )
        )
    for number, (w, g) in enumerate(zip(want, steps, strict=False), start=1):
        if w.tool != g.tool:
            found.append(
                Mismatch(
                    field=f"step {number} tool", expected=w.tool, actual=g.tool, why="wrong tool"
                )
            )
        else:
            found += _input_mismatches(number, w, g)
    return found


def _outcome_mismatches(expected: ExpectedPlan, row: TrialResult) -> list[Mismatch]:
    if expected.fails:
        why = f"the run should fail cleanly; it ended {row.run_status or 'without running'}"
        return [Mismatch(field="run status", expected="failed", actual=row.run_status, why=why)]
    if row.run_status != "completed":
        why = f"the run ended {row.run_status or 'without running'}: {row.error or 'no error'}"
        return [Mismatch(field="run status", expected="completed", actual=row.run_status, why=why)]
    if expected.outcome is not None and not match_outcome(expected.outcome, row.run_output):
        why = "the last step's output does not match the expected outcome"
        return [
            Mismatch(field="outcome", expected=expected.outcome, actual=row.run_output, why=why)
        ]
    return []


_SUMMARIES: Final[dict[OutcomeClass, str]] = {
    OutcomeClass.CORRECT: "the plan matches the case and running it gave what the case expects",
    OutcomeClass.PLANNER_ERROR: "the planner raised instead of planning",
    OutcomeClass.TIMEOUT: "the per-case timeout fired",
    OutcomeClass.INVALID_PLAN: "the plan failed validation, or no plan came back",
    OutcomeClass.FALSE_ACTION: "the case expects no tool call; the plan calls a tool",
    OutcomeClass.FALSE_ABSTAIN: "the case expects tool calls; the plan calls none",
    OutcomeClass.WRONG_STEP_COUNT: "the plan has a different number of steps",
    OutcomeClass.WRONG_TOOL: "same number of steps, a wrong tool",
    OutcomeClass.WRONG_ARGS: "right tools, an input that does not match",
    OutcomeClass.OUTCOME_MISMATCH: "the plan matches; running it did not give what the case "
    "expects",
}


def explain_trial(row: TrialResult) -> Explanation:
    """Why `row` got its outcome: the deciding rule and the fields that mismatched."""
    summary = _SUMMARIES[row.outcome]
    if row.error and row.outcome in (
        OutcomeClass.PLANNER_ERROR,
        OutcomeClass.TIMEOUT,
        OutcomeClass.INVALID_PLAN,
    ):
        summary = f"{summary}: {row.error}"
    expected = row.expected
    if expected is None:
        return Explanation(outcome=row.outcome, summary=summary, mismatches=[])
    mismatches: list[Mismatch] = []
    if row.plan is not None and row.outcome is not OutcomeClass.CORRECT:
        mismatches = _plan_mismatches(expected, list(row.plan.steps))
    if row.outcome is OutcomeClass.OUTCOME_MISMATCH:
        mismatches += _outcome_mismatches(expected, row)
    return Explanation(outcome=row.outcome, summary=summary, mismatches=mismatches)
