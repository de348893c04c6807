"""The calculator as a plug-in: everything planners, evals and load tests know of it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import BaseModel, JsonValue

from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.tools.calculator.answer import EXPRESSION_FIELD
from crane_bench.runtime.tools.calculator.arithmetic_text import spoken_to_expression
from crane_bench.runtime.tools.calculator.cue import has_arithmetic_signal
from crane_bench.runtime.tools.calculator.tool import CalculatorInput, CalculatorTool, check
from crane_bench.runtime.tools.plugin import (
    Inputs,
    LabelSpec,
    LoadPrompt,
    PlanExample,
    RuleReader,
    ToolDeclaration,
)


def arithmetic_problem(expression: str) -> str | None:
    """Why `expression` is not arithmetic, or None when the calculator accepts its shape.

    Evaluation errors that depend only on values (division by zero, bounds) return
    None: the expression is arithmetic, and it fails when the step runs.
    """
    try:
        check(expression)
    except CalculatorError as exc:
        return str(exc)
    return None


def _input_problem(tool_input: BaseModel) -> str | None:
    if isinstance(tool_input, CalculatorInput):
        return arithmetic_problem(tool_input.expression)
    return None


def _read_arithmetic(clause: str) -> Inputs | None:
    expression = spoken_to_expression(clause)
    if expression is None:
        return None
    arithmetic: dict[str, JsonValue] = {"expression": expression}
    return [arithmetic]


CALCULATOR_PLUGIN: Final = ToolDeclaration(
    name="calculator",
    category="calculator",
    input_model=CalculatorInput,
    factory=CalculatorTool,
    labels=(
        LabelSpec(
            "calculator",
            "arithmetic; write the expression with digits and + - * / ** and parentheses",
            ("expression",),
            needs_number=True,
        ),
    ),
    answer_fields=(EXPRESSION_FIELD,),
    plan_examples=(
        PlanExample(
            "What is 12 times 7?", ({"tool": "calculator", "input": {"expression": "12 * 7"}},)
        ),
    ),
    signal_fn=has_arithmetic_signal,
    signal_name="arithmetic",
    examples=Path(__file__).with_name("examples.yaml"),
    rules=(RuleReader(20, "spoken or typed arithmetic", _read_arithmetic),),
    load_prompts=(
        LoadPrompt("what is {a} plus {b}"),
        LoadPrompt("calculate ({a} + {b}) * {c}"),
        LoadPrompt("what's {a} times {b}"),
        LoadPrompt("{big} divided by {c}"),
        LoadPrompt("compute {a}.{d} * {b}"),
        LoadPrompt("square root of {square}"),
        LoadPrompt("what is {pct} percent of {big}"),
        LoadPrompt("what is {a} minus {big}"),
        LoadPrompt("2 to the power of {small}"),
        LoadPrompt("calculate {a} * {b} - {c}"),
        LoadPrompt("calculate {a} / 0", expect="failed"),
    ),
    check_fn=_input_problem,
)
"""The calculator's declaration."""

PLUGIN: Final = CALCULATOR_PLUGIN
"""The name the tool registry looks for in every tool package's `plugin` module."""
