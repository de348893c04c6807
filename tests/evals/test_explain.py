"""Why a trial got its outcome: the deciding rule and each mismatched field, as scored."""

from __future__ import annotations

from typing import Any

import pytest

from crane_bench.evals.cases import Case
from crane_bench.evals.explain import explain_trial
from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.trial import run_trial
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.orchestrator import Orchestrator


class Fixed:
    """Answers every prompt with one plan."""

    name = "fixed"

    def __init__(self, *steps: tuple[str, dict[str, Any]]) -> None:
        self.steps = [PlanStep(tool=tool, input=data) for tool, data in steps]

    async def plan(self, prompt: str) -> PlanResult:
        return PlanResult(plan=Plan(steps=self.steps), meta=PlanMeta(planner=self.name))


def case(*steps: dict[str, Any], outcome: Any = None, todos: list[str] | None = None) -> Case:
    return Case.model_validate(
        {
            "id": "c",
            "prompt": "p",
            "category": "x",
            "setup": {"todos": todos or []},
            "expected": {"steps": list(steps), "outcome": outcome},
        }
    )


CALC = {"tool": "calculator", "input": {"expression": "2 + 2"}}
ADD = {"tool": "todo_store", "input": {"action": "add", "title": "Buy milk"}}


async def explained(the_case: Case, planner: Fixed) -> tuple[OutcomeClass, list[tuple[str, str]]]:
    row = await run_trial(
        the_case, planner, planner_name="f", repeat=0, orchestrator=Orchestrator(), timeout_s=5
    )
    explanation = explain_trial(row)
    assert explanation.outcome is row.outcome
    return row.outcome, [(m.field, m.why) for m in explanation.mismatches]


@pytest.mark.parametrize(
    ("expected", "planned", "outcome", "mismatches"),
    [
        pytest.param(
            [CALC],
            [("todo_store", {"action": "list"})],
            OutcomeClass.WRONG_TOOL,
            [("step 1 tool", "wrong tool")],
            id="tool",
        ),
        pytest.param(
            [CALC],
            [("calculator", {"expression": "(2 + 3)"})],
            OutcomeClass.WRONG_ARGS,
            [("step 1 input.expression", 'expression "(2 + 3)" = 5, expected "2 + 2" = 4')],
            id="expression",
        ),
        pytest.param(
            [ADD],
            [("todo_store", {"action": "add", "title": "buy bread"})],
            OutcomeClass.WRONG_ARGS,
            [
                (
                    "step 1 input.title",
                    "different value (strings compare ignoring case and end punctuation)",
                )
            ],
            id="title",
        ),
        pytest.param(
            [CALC, ADD],
            [("calculator", {"expression": "4"})],
            OutcomeClass.WRONG_STEP_COUNT,
            [("steps", "2 step(s) expected, 1 planned")],
            id="count",
        ),
        pytest.param(
            [],
            [("calculator", {"expression": "1"})],
            OutcomeClass.FALSE_ACTION,
            [("steps", "0 step(s) expected, 1 planned")],
            id="false-action",
        ),
        pytest.param(
            [CALC], [("calculator", {"expression": "4"})], OutcomeClass.CORRECT, [], id="correct"
        ),
    ],
)
async def test_plan_mismatches(
    expected: list[dict[str, Any]],
    planned: list[tuple[str, dict[str, Any]]],
    outcome: OutcomeClass,
    mismatches: list[tuple[str, str]],
) -> None:
    assert await explained(case(*expected), Fixed(*planned)) == (outcome, mismatches)


async def test_an_outcome_mismatch_names_the_outcome() -> None:
    the_case = case({"tool": "todo_store", "input": {"action": "list"}}, outcome=[{"id": 9}])
    outcome, mismatches = await explained(the_case, Fixed(("todo_store", {"action": "list"})))
    assert outcome is OutcomeClass.OUTCOME_MISMATCH
    assert mismatches == [("outcome", "the last step's output does not match the expected outcome")]


async def test_a_failed_run_says_how_it_ended() -> None:
    the_case = case({"tool": "todo_store", "input": {"action": "get", "id": 7}})
    outcome, mismatches = await explained(
        the_case, Fixed(("todo_store", {"action": "get", "id": 7}))
    )
    assert outcome is OutcomeClass.OUTCOME_MISMATCH
    ((field, why),) = mismatches
    assert field == "run status"
    assert why.startswith("the run ended failed: ")
