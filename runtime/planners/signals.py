"""Whether a piece of text carries any signal for a tool at all.

The rules abstain on anything they cannot read, which leaves two kinds of abstention
apart: text the rules could not parse although it asks for arithmetic or a todo ("tick
off number 2, then show me everything"), and text that asks for neither ("what is the
capital of France", "tell me a joke"). Only the first is worth a model call, and a small
model asked about the second often acts anyway (it adds the prompt as a todo, or
computes a number it found). This module tells them apart with cues, not phrasings:

- arithmetic: a number (digits or a number word) *and* an arithmetic cue: an operator
  sign, or a word that names an operation (plus, times, divided, percent, root, ...);
- todo: a word from the todo vocabulary: a list noun (todo, task, list, reminder, ...)
  or a verb that acts on one (remind, add, mark, tick off, delete, ...).

The cues are deliberately broad: they only gate the model, which still decides what the
text asks; a cue present in a prompt that needs no tool costs one model call, while a
cue missing from one that needs a tool costs an answer. The vocabulary comes from the
tools' own descriptions and the example bank's labels, never from the evaluation suite.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from runtime.planners.number_words import NUMBER_WORD_PATTERN

Signal = Literal["arithmetic", "todo"]

_NUMBER: Final = re.compile(rf"\d|\b(?:{NUMBER_WORD_PATTERN})\b", re.IGNORECASE)
_OPERATOR_SIGN: Final = re.compile(r"[-+*/^%×÷=]|\*\*")
_ARITHMETIC_WORD: Final = re.compile(
    r"\b(?:plus|minus|times|multipl\w*|divid\w*|add(?:ed)?|subtract\w*|sum|total|"
    r"difference|product|quotient|percent\w*|per\s*cent|squared?|cubed?|cube|roots?|sqrt|"
    r"power|powers|exponent\w*|half|halve|double|triple|twice|thrice|average|mean|"
    r"calculat\w*|comput\w*|evaluat\w*|solve|math\w*|arithmetic|increase\w*|decrease\w*|"
    r"(?:less|more|fewer)\s+than|split|remainder|mod(?:ulo)?|factorial)\b",
    re.IGNORECASE,
)
_TODO_WORD: Final = re.compile(
    r"\b(?:to-?dos?|to\s+dos?|tasks?|lists?|reminders?|remind|agenda|checklist|items?|"
    r"entry|entries|chores?|errands?|add|put|note|jot|write\s+down|save|record|schedule|"
    r"mark|tick|check(?:ed)?\s+off|cross(?:ed)?\s+off|complete[ds]?|finish(?:ed)?|done|"
    r"delete[ds]?|remove[ds]?|drop|clear|rename[ds]?|change|update[ds]?|edit|"
    r"show|display|view|see|read)\b",
    re.IGNORECASE,
)


def has_arithmetic_signal(text: str) -> bool:
    """True when `text` names a number and an arithmetic operation."""
    if not _NUMBER.search(text):
        return False
    return bool(_OPERATOR_SIGN.search(text) or _ARITHMETIC_WORD.search(text))


def has_todo_signal(text: str) -> bool:
    """True when `text` uses a word of the todo vocabulary."""
    return bool(_TODO_WORD.search(text))


def signals(text: str) -> frozenset[Signal]:
    """Every tool signal in `text` (empty: nothing here asks for a tool)."""
    found: set[Signal] = set()
    if has_arithmetic_signal(text):
        found.add("arithmetic")
    if has_todo_signal(text):
        found.add("todo")
    return frozenset(found)


TOOL_SIGNALS: Final[dict[str, Signal]] = {"calculator": "arithmetic", "todo_store": "todo"}
"""The signal a step of each tool needs in its text to be believed."""


def supports(text: str, tool: str) -> bool:
    """True when `text` carries the signal that a step calling `tool` needs.

    A tool without a known signal (one this module has no cues for) is always
    supported: the check can only refuse what it understands.
    """
    needed = TOOL_SIGNALS.get(tool)
    return needed is None or needed in signals(text)
