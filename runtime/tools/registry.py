"""The tool plug-ins: the built-in set, and those installed under an entry point.

A third-party tool registers its plug-in (any object that satisfies `ToolPlugin`, such
as a `ToolDeclaration`) under the `crane_bench.tools` entry point group::

    # pyproject.toml of my_package
    [project.entry-points."crane_bench.tools"]
    units = "my_package.units:UNITS_PLUGIN"

`installed_tool_plugins()` is the built-in set followed by the registered ones, in
entry point name order; the planner factory and `default_tools` use it.
"""

from __future__ import annotations

import functools
from typing import Final

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.tools.calculator.plugin import CALCULATOR_PLUGIN
from crane_bench.runtime.tools.plugin import ToolPlugin, ToolPlugins
from crane_bench.runtime.tools.todo.plugin import TODO_PLUGIN

ENTRY_POINT_GROUP: Final = "crane_bench.tools"

BUILTIN_TOOL_PLUGINS: Final = ToolPlugins([CALCULATOR_PLUGIN, TODO_PLUGIN])
"""The calculator and the todo store, in that order (the order of labels and examples)."""


def registered_tool_plugins() -> list[ToolPlugin]:
    """The plug-ins registered under `crane_bench.tools`, in entry point name order.

    Raises:
        ConfigError: One does not import, or is not a `ToolPlugin`.
    """
    # importlib.metadata scans every installed distribution: imported only when asked.
    from importlib.metadata import entry_points  # noqa: PLC0415

    found: list[ToolPlugin] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            obj = point.load()
        except Exception as exc:  # noqa: BLE001 - any import failure is the installer's, one line
            raise ConfigError(
                f"tool plug-in {point.name!r} ({point.value}): cannot load: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(obj, ToolPlugin):
            raise ConfigError(
                f"tool plug-in {point.name!r} ({point.value}) is not a ToolPlugin "
                "(see crane_bench.runtime.tools.plugin)"
            )
        found.append(obj)
    return found


@functools.cache
def installed_tool_plugins() -> ToolPlugins:
    """The built-in plug-ins, then the registered ones (read once per process).

    Raises:
        ConfigError: A registered plug-in does not load, or clashes with another's tool
            name or label.
    """
    try:
        return ToolPlugins([*BUILTIN_TOOL_PLUGINS, *registered_tool_plugins()])
    except ValueError as exc:
        raise ConfigError(f"tool plug-ins: {exc}") from None
