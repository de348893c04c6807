"""Checks a plan against the registered tools before anything runs.

A plan is invalid when a step names an unknown tool, when its input does not validate
against the tool's input model, or when the tool's plug-in says the input cannot run
(`ToolPlugin.check`). For the calculator that is an expression that is not arithmetic
at all, decided precisely by `tools.calculator.plugin.arithmetic_problem`:

    An expression is *invalid* when the calculator refuses its shape: syntax, unknown
    names or functions, operators or constructs it does not support, wrong argument
    counts, strings or complex literals. An expression whose shape is accepted but
    whose values fail (division by zero, a result or exponent out of bounds, the root of
    a negative number) is a *valid* plan: that failure belongs to execution, where the
    step is recorded as failed with the calculator's message.

The calculator's own `check` is the judge; nothing of its grammar is copied here.
"""

from __future__ import annotations

from crane_bench.runtime.errors import InvalidPlanError, ToolInputError, UnknownToolError
from crane_bench.runtime.models import Plan
from crane_bench.runtime.tools.base import ToolRegistry
from crane_bench.runtime.tools.calculator.plugin import arithmetic_problem
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

__all__ = ["arithmetic_problem", "validate_plan"]


def validate_plan(
    plan: Plan, tools: ToolRegistry, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS
) -> None:
    """Raise when `plan` could not even start running on `tools`.

    Args:
        plan: The plan to check; an empty plan (abstain) is valid.
        tools: The tools the plan will run on.
        plugins: The tools' plug-ins, whose `check` judges each step's input.

    Raises:
        InvalidPlanError: reason `unknown_tool` for a tool that is not registered;
            `invalid_input` for input that the tool's model rejects or that its plug-in
            refuses (a calculator expression that is not arithmetic).
    """
    for index, step in enumerate(plan.steps, start=1):
        try:
            parsed = tools.parse_input(step.tool, step.input)
        except UnknownToolError as exc:
            raise InvalidPlanError(f"step {index}: {exc}", reason="unknown_tool") from None
        except ToolInputError as exc:
            raise InvalidPlanError(f"step {index}: {exc}", reason="invalid_input") from None
        plugin = plugins.get(step.tool)
        problem = plugin.check(parsed) if plugin is not None else None
        if problem is not None:
            raise InvalidPlanError(f"step {index}: {step.tool}: {problem}", reason="invalid_input")
