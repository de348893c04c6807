"""The tool plug-ins Crane Bench ships (`BUILTIN_TOOL_PLUGINS`)."""

from __future__ import annotations

from typing import Final

from crane_bench.runtime.tools.calculator.plugin import CALCULATOR_PLUGIN
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.todo.plugin import TODO_PLUGIN

BUILTIN_TOOL_PLUGINS: Final = ToolPlugins([CALCULATOR_PLUGIN, TODO_PLUGIN])
"""The calculator and the todo store, in that order (the order of labels and examples)."""
