"""The tool plug-ins: the built-in set, and those installed under an entry point.

A third-party tool registers its plug-in (any object that satisfies `ToolPlugin`, such
as a `ToolDeclaration`) under the `crane_bench.tools` entry point group::

    # pyproject.toml of my_package
    [project.entry-points."crane_bench.tools"]
    units = "my_package.units:UNITS_PLUGIN"

The built-in set is every package under `crane_bench.runtime.tools` whose `plugin`
module names a `PLUGIN`, in package name order (calculator, todo, units): a new built-in
tool is one new package, and nothing here names it. `installed_tool_plugins()` is the
built-in set followed by the registered ones, in entry point name order; the planner
factory and `default_tools` use it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Final

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.tools.plugin import ToolPlugin, ToolPlugins

ENTRY_POINT_GROUP: Final = "crane_bench.tools"
PLUGIN_MODULE: Final = "plugin"
"""The module of a built-in tool package that declares it, as `PLUGIN`."""
_TOOLS_PACKAGE: Final = "crane_bench.runtime.tools"


def builtin_tool_plugins() -> list[ToolPlugin]:
    """The `PLUGIN` of every tool package here, in package name order.

    Raises:
        TypeError: A package's `plugin.PLUGIN` is not a `ToolPlugin` (a programming error).
    """
    found: list[ToolPlugin] = []
    packages = pkgutil.iter_modules([str(Path(__file__).parent)])
    for info in sorted((i for i in packages if i.ispkg), key=lambda i: i.name):
        module_name = f"{_TOOLS_PACKAGE}.{info.name}.{PLUGIN_MODULE}"
        if importlib.util.find_spec(module_name) is None:
            continue
        plugin = getattr(importlib.import_module(module_name), "PLUGIN", None)
        if not isinstance(plugin, ToolPlugin):
            raise TypeError(f"{module_name}.PLUGIN is not a ToolPlugin")
        found.append(plugin)
    return found


BUILTIN_TOOL_PLUGINS: Final = ToolPlugins(builtin_tool_plugins())
"""Every built-in tool package's plug-in, in package name order (the order of labels,
answer fields and examples): the calculator, then the todo store, then the rest."""


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
