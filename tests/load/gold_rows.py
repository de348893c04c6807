"""Small builders of gold cases and scored rows for the quality tests."""

from __future__ import annotations

from typing import Any

from crane_bench.evals.cases import Case
from crane_bench.evals.results import OutcomeClass, TrialResult


def case(case_id: str, **values: Any) -> Case:
    """A calculator case `calculate 2 + 2` under `case_id`."""
    data: dict[str, Any] = {
        "id": case_id,
        "prompt": "calculate 2 + 2",
        "category": "calculator",
        "expected": {
            "steps": [{"tool": "calculator", "input": {"expression": "2 + 2"}}],
            "outcome": 4,
        },
    }
    return Case.model_validate(data | values)


def trial(case_id: str, right: bool, **values: Any) -> TrialResult:
    """A scored row of `case_id` by the `hybrid` planner, right or wrong all through."""
    data: dict[str, Any] = {
        "case_id": case_id,
        "planner": "hybrid",
        "category": "calculator",
        "outcome": OutcomeClass.CORRECT if right else OutcomeClass.WRONG_TOOL,
        "tool_correct": right,
        "step_count_correct": right,
        "args_correct": right,
        "plan_correct": right,
        "end_to_end_correct": right,
        "valid_plan": True,
        "expected_abstain": False,
        "abstained": False,
    }
    return TrialResult.model_validate(data | values)
