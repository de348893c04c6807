"""Checks a plan against the registered tools before anything runs.

A plan is invalid when a step names an unknown tool, when its input does not validate
against the tool's input model, or when a calculator expression is not arithmetic at
all. What counts as "not arithmetic" is decided precisely here:

    An expression is *invalid* when the calculator refuses its shape: syntax, unknown
    names or functions, operators or constructs it does not support, wrong argument
    counts, strings or complex literals. An expression whose shape is accepted but
    whose values fail (division by zero, a result or exponent out of bounds, the root of
    a negative number) is a *valid* plan: that failure belongs to execution, where the
    step is recorded as failed with the calculator's message.

The calculator's own `check` is the judge; nothing of its grammar is copied here.
"""

from __future__ import annotations

from crane_bench.runtime.errors import (
    CalculatorError,
    InvalidPlanError,
    ToolInputError,
    UnknownToolError,
)
from crane_bench.runtime.models import Plan
from crane_bench.runtime.tools.base import ToolRegistry
from crane_bench.runtime.tools.calculator import CalculatorInput, check


def validate_plan(plan: Plan, tools: ToolRegistry) -> None:
    """Raise when `plan` could not even start running on `tools`.

    Args:
        plan: The plan to check; an empty plan (abstain) is valid.
        tools: The tools the plan will run on.

    Raises:
        InvalidPlanError: reason `unknown_tool` for a tool that is not registered;
            `invalid_input` for input that the tool's model rejects or a calculator
            expression that is not arithmetic (see the module docstring).
    """
    for index, step in enumerate(plan.steps, start=1):
        try:
            parsed = tools.parse_input(step.tool, step.input)
        except UnknownToolError as exc:
            raise InvalidPlanError(f"step {index}: {exc}", reason="unknown_tool") from None
        except ToolInputError as exc:
            raise InvalidPlanError(f"step {index}: {exc}", reason="invalid_input") from None
        if isinstance(parsed, CalculatorInput):
            problem = arithmetic_problem(parsed.expression)
            if problem is not None:
                raise InvalidPlanError(
                    f"step {index}: {step.tool}: {problem}", reason="invalid_input"
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
