"""Plan validation against the registered tools."""

from __future__ import annotations

from typing import Any

import pytest

from crane_bench.runtime.errors import CalculatorError, InvalidPlanError
from crane_bench.runtime.models import Plan, PlanStep
from crane_bench.runtime.planners.validation import arithmetic_problem, validate_plan
from crane_bench.runtime.tools import default_tools, evaluate


def plan_of(*steps: tuple[str, dict[str, Any]]) -> Plan:
    return Plan(steps=[PlanStep(tool=tool, input=data) for tool, data in steps])


def test_a_sound_plan_passes() -> None:
    plan = plan_of(
        ("calculator", {"expression": "(2 + 3) * 4"}),
        ("todo_store", {"action": "add", "title": "buy milk"}),
        ("todo_store", {"action": "complete", "id": 1}),
    )
    validate_plan(plan, default_tools())  # raises when invalid


def test_the_empty_plan_passes() -> None:
    validate_plan(Plan(), default_tools())  # raises when invalid


def test_an_unknown_tool_is_reported_with_its_step() -> None:
    plan = plan_of(("calculator", {"expression": "1 + 1"}), ("web_search", {"q": "x"}))

    with pytest.raises(InvalidPlanError, match="step 2: unknown tool 'web_search'") as caught:
        validate_plan(plan, default_tools())

    assert caught.value.reason == "unknown_tool"


@pytest.mark.parametrize(
    ("tool", "data"),
    [
        ("calculator", {}),
        ("calculator", {"expression": "1 + 1", "precision": 2}),
        ("calculator", {"expression": ""}),
        ("todo_store", {"action": "archive"}),
        ("todo_store", {"action": "add"}),
        ("todo_store", {"action": "complete", "id": "first"}),
    ],
)
def test_input_the_tool_model_rejects_is_invalid(tool: str, data: dict[str, Any]) -> None:
    with pytest.raises(InvalidPlanError, match=f"step 1: {tool}") as caught:
        validate_plan(plan_of((tool, data)), default_tools())

    assert caught.value.reason == "invalid_input"


@pytest.mark.parametrize(
    "expression",
    [
        "2 +",
        "12 x 7",
        "twelve * 7",
        "log(10)",
        "3 ^ 2",
        "'12' * 2",
        "max()",
        "sqrt(4, 2)",
        "2j + 1",
        "1 < 2",
        "__import__('os')",
    ],
)
def test_expressions_that_are_not_arithmetic_are_invalid(expression: str) -> None:
    plan = plan_of(("calculator", {"expression": expression}))

    with pytest.raises(InvalidPlanError, match="step 1: calculator: ") as caught:
        validate_plan(plan, default_tools())

    assert caught.value.reason == "invalid_input"


@pytest.mark.parametrize(
    "expression",
    [
        "1 / 0",
        "7 // 0",
        "5 % 0",
        "0 ** -1",
        "2 ** 100000",
        "10 ** 10 ** 10",
        "1e60 * 1e60",
        "sqrt(-4)",
        "(-8) ** 0.5",
        "round(2.5, 0.5)",
        "6 ÷ 0",
        "1.5e-3 / (2 - 2)",
    ],
)
def test_arithmetic_that_fails_only_when_run_is_a_valid_plan(expression: str) -> None:
    assert arithmetic_problem(expression) is None
    validate_plan(plan_of(("calculator", {"expression": expression})), default_tools())


def test_arithmetic_problem_quotes_the_calculator() -> None:
    with pytest.raises(CalculatorError) as refused:
        evaluate("3 ^ 2")

    assert arithmetic_problem("3 ^ 2") == str(refused.value)
    assert arithmetic_problem("12 * 7") is None
