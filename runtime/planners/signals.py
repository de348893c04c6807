"""Whether a piece of text carries a signal for a tool, as the tools' plug-ins read it.

The rules abstain on anything they cannot read, which leaves two kinds of abstention
apart: text the rules could not parse although it asks for arithmetic or a todo ("tick
off number 2, then show me everything"), and text that asks for neither ("what percent
of the earth is water", "show me a poem"). Only the first is worth a model call, and a
small model asked about the second often acts anyway (it adds the prompt as a todo, or
computes a number it found). A cue word alone ("show", "read", "percent", "todos") is no
signal: it has to stand in the relation that makes a request.

What counts as a tool's cue is the tool's own declaration (`ToolPlugin.signal`,
`cue`, `asks_for`, `referent`; the calculator's in `tools/calculator/cue.py`, the todo
store's in `tools/todo/cue.py`); this module only asks every plug-in. A step is believed
only where its text carries its tool's cue and, for a tool with actions, names the
action (`supports_step`). `has_no_signal` is the confident abstention: text that no
plug-in would act on asks for no tool, and the hybrid does not ask the model about it.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.runtime.tools.calculator.cue import has_arithmetic_signal
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS
from crane_bench.runtime.tools.todo.cue import has_todo_signal

__all__ = [
    "TOOL_SIGNALS",
    "Signal",
    "has_arithmetic_signal",
    "has_no_signal",
    "has_todo_signal",
    "refers_back",
    "signals",
    "supports",
    "supports_step",
]

Signal = str
"""A cue's name as its plug-in declares it (`arithmetic`, `todo`)."""

_BACK_REFERENCE: Final = re.compile(r"\b(?:it|that|this|them|those|these)\b", re.IGNORECASE)


def signals(text: str, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> frozenset[Signal]:
    """Every tool signal in `text` (empty: nothing here asks for a tool)."""
    return frozenset(plugin.signal_name for plugin in plugins if plugin.signal(text))


def has_no_signal(
    text: str, *, refers_back: bool = False, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS
) -> bool:
    """True when `text` asks for no tool: a confident abstention, no model needed.

    That is: no step of any tool and action would be believed from it (`supports_step`),
    so "show me a poem" (a show verb, no todo object) and "my tasks at work are so
    boring" (a todo noun, no todo verb) are abstentions too.
    """
    return not any(plugin.asks_for(text, refers_back) for plugin in plugins)


def refers_back(text: str, earlier: list[str], plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> bool:
    """True when `text` points with a pronoun ("it", "that") and an earlier text named a todo.

    "put milk on my list, then put eggs on it too": the second clause's "it" is the list.
    What an earlier text may name is each plug-in's `referent`.
    """
    return bool(_BACK_REFERENCE.search(text)) and any(
        plugin.referent(e) for e in earlier for plugin in plugins
    )


TOOL_SIGNALS: Final[dict[str, Signal]] = {
    plugin.name: plugin.signal_name for plugin in BUILTIN_TOOL_PLUGINS
}
"""The signal a step of each built-in tool needs in its text to be believed."""


def supports(text: str, tool: str, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> bool:
    """True when `text` carries the signal that a step calling `tool` needs.

    A tool without a plug-in (one nothing declares cues for) is always supported: the
    check can only refuse what it understands.
    """
    plugin = plugins.get(tool)
    return plugin is None or plugin.signal(text)


def supports_step(
    text: str,
    tool: str,
    action: object = None,
    *,
    refers_back: bool = False,
    plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
) -> bool:
    """True when `text` carries the signal for `tool` and names the step's action.

    Args:
        text: The text the step was planned from (one clause).
        tool: The step's tool.
        action: The step's `action` input, if any; tools without actions ignore it.
        refers_back: The text points at an object an earlier clause named ("mark it
            done"), which stands in for naming the object itself.
        plugins: The tools' plug-ins (a tool without one is always supported).
    """
    plugin = plugins.get(tool)
    return plugin is None or plugin.cue(text, action, refers_back)
