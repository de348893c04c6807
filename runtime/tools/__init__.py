"""The tools a plan can call, their run registry, and their plug-in declarations.

A plug-in (`ToolPlugin`) tells planners, evals and load tests about its tool. The
built-in plug-ins are in `registry.BUILTIN_TOOL_PLUGINS`, not imported here: the
declarations import the pattern planner's readers.
"""

from __future__ import annotations

from crane_bench.runtime.tools.base import Tool, ToolRegistry
from crane_bench.runtime.tools.calculator import CalculatorInput, CalculatorTool, check, evaluate
from crane_bench.runtime.tools.plugin import (
    LabelSpec,
    LoadPrompt,
    RuleReader,
    ToolDeclaration,
    ToolPlugin,
    ToolPlugins,
)
from crane_bench.runtime.tools.todo import Todo, TodoInput, TodoStore, TodoTool

__all__ = [
    "CalculatorInput",
    "CalculatorTool",
    "LabelSpec",
    "LoadPrompt",
    "RuleReader",
    "Todo",
    "TodoInput",
    "TodoStore",
    "TodoTool",
    "Tool",
    "ToolDeclaration",
    "ToolPlugin",
    "ToolPlugins",
    "ToolRegistry",
    "check",
    "default_tools",
    "evaluate",
]


def default_tools(store: TodoStore | None = None) -> ToolRegistry:
    """A fresh registry of every installed tool plug-in's tool, in plug-in order.

    Args:
        store: The todo store to use; a new, empty one when not given, so that each
            call (each run) starts with an empty list.

    Raises:
        ConfigError: An installed tool plug-in does not load.
    """
    # The plug-in registry imports the planners' readers: imported when first asked.
    from crane_bench.runtime.tools.registry import installed_tool_plugins  # noqa: PLC0415

    todo = TodoTool(store)
    return ToolRegistry(todo if p.name == todo.name else p.make() for p in installed_tool_plugins())
