"""The tools a plan can call, and the registry that holds one run's set of them."""

from __future__ import annotations

from crane_bench.runtime.tools.base import Tool, ToolRegistry
from crane_bench.runtime.tools.calculator import CalculatorInput, CalculatorTool, check, evaluate
from crane_bench.runtime.tools.todo import Todo, TodoInput, TodoStore, TodoTool

__all__ = [
    "CalculatorInput",
    "CalculatorTool",
    "Todo",
    "TodoInput",
    "TodoStore",
    "TodoTool",
    "Tool",
    "ToolRegistry",
    "check",
    "default_tools",
    "evaluate",
]


def default_tools(store: TodoStore | None = None) -> ToolRegistry:
    """A fresh registry of the standard tools: the calculator and a todo store.

    Args:
        store: The todo store to use; a new, empty one when not given, so that each
            call (each run) starts with an empty list.
    """
    return ToolRegistry([CalculatorTool(), TodoTool(store)])
