"""Whether a piece of text carries a signal for a tool, read from its structure.

The rules abstain on anything they cannot read, which leaves two kinds of abstention
apart: text the rules could not parse although it asks for arithmetic or a todo ("tick
off number 2, then show me everything"), and text that asks for neither ("what percent
of the earth is water", "show me a poem"). Only the first is worth a model call, and a
small model asked about the second often acts anyway (it adds the prompt as a todo, or
computes a number it found). A cue word alone ("show", "read", "percent", "todos") is no
signal: it has to stand in the relation that makes a request.

- arithmetic: a number *with an operation on it*: an operator sign between two operands
  ("3*4", "12 / 5"), or an operation word within a few words of a number ("nine times
  eleven", "the square root of 361", "15% of 80", "double 35");
- todo: a todo *object*: the list itself ("my list", "my todos", "the agenda"), a todo by
  its id ("task 3", "the second item", "number 4" after a todo verb), or a request to be
  reminded ("remind me to", "don't let me forget").

On top of that, a step is believed only where the text also names its action
(`supports_step`): an add needs a verb that puts something on the list, a list request a
verb that shows it, and a step on one todo an id (or "it", resolved elsewhere) and the
verb of its action. `has_no_signal` is the confident abstention: text without either
signal asks for no tool, and the hybrid does not ask the model about it. The vocabulary
comes from the tools' own descriptions and the example bank's labels, never from the
evaluation suite.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from crane_bench.runtime.planners.arithmetic_text import spoken_to_expression
from crane_bench.runtime.planners.number_words import replace_number_words

Signal = Literal["arithmetic", "todo"]

_I = re.IGNORECASE
_WINDOW: Final = 3
"""An operation word counts when a number is at most this many words away."""

# An operator sign with an operand on each side: "3*4", "12 / 5", "(2+3)", "2^10", "7 x 8".
_BINARY_SIGN: Final = re.compile(
    r"[\d)]\s*(?:\*\*|[-+*/^×÷−]|\bx\b)\s*[-(\d.]|[\d)]\s*x\s*\d|\d\s*%\s*(?:of|off)\b", _I
)
# A number glued to letters ("4G", "3D", "2nd") is a name, not an operand.
_TOKEN: Final = re.compile(r"\d+(?:[.,]\d+)*[a-z]*|[a-z_]+(?:['’][a-z]+)?", _I)
# Words that name an operation (stems, so "multiplication" and "divides" count too).
_OPERATION_WORD: Final = re.compile(
    r"(?:plus|minus|times|multipl\w*|divid\w*|division|divisible|add(?:s|ed|ing|ition)?"
    r"|subtract\w*|sum|total|difference|product|quotient|squared?|cubed?|roots?|sqrt|powers?"
    r"|exponent\w*|half"
    r"|halve[ds]?|double[ds]?|triple[ds]?|twice|thrice|average|mean|calculat\w*|comput\w*"
    r"|evaluat\w*|solve|math\w*|arithmetic|increase[ds]?|decrease[ds]?|split|remainder"
    r"|mod(?:ulo)?|factorial|more_than|less_than|fewer_than)",
    _I,
)
_COMPARATIVE: Final = re.compile(r"\b(more|less|fewer)\s+than\b", _I)
# "percent" is an operation only with an operand after it: "15 percent of 80".
_PERCENT_OPERAND: Final = re.compile(r"(?:percent(?:age)?|per\s+cent)\s+(?:of|off)\b", _I)

# The list as an object. "task" and "reminder" in the singular name no list ("what task
# does the pancreas perform") unless owned ("my task list"). A list that modifies another noun
# ("to-do list apps") is not the user's list.
_NOT_THE_LIST: Final = (
    r"(?!(?:\s+lists?)?\s+(?:of|apps?|software|tools?|templates?|ideas?|tips?|methods?|systems?"
    r"|books?|examples?|format)\b)"
)
_LIST_NOUN: Final = (
    rf"(?:(?:to-?dos?|to\s+dos?|todo\s+list|to-?do\s+list|checklist|agenda){_NOT_THE_LIST}"
    r"|(?:my|our|all\s+(?:my|the)|any|open|pending)\s+(?:tasks?|reminders?|to-?dos?)"
    r"|\b(?:tasks|reminders)\b"
    r"|(?:my|the|our)\s+(?:(?:to-?do|to\s+do|task|shopping|grocery|whole|entire|full)\s+)?"
    rf"lists?{_NOT_THE_LIST})"
)
_ORDINAL: Final = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last"
    r"|\d+(?:st|nd|rd|th)\b)"
)
_ITEM: Final = r"(?:to-?do|task|item|reminder|entry|one)"
# "task 3", "the second item"; "number 3" alone only where a todo verb acts on it
# ("who wore number 23" is no todo), which `_BARE_ID` reads.
_ITEM_REF: Final = rf"(?:{_ITEM}s?\s+(?:number\s+|no\.?\s*|#\s*)?\d+|{_ORDINAL}\s+{_ITEM})"
_REMIND: Final = (
    r"(?:remind\s+me|(?:don['’]?t|do\s+not|must\s+not|mustn['’]?t|can['’]?t|cannot"
    r"|shouldn['’]?t|should\s+not)\s+(?:let\s+me\s+)?forget"
    r"|remember\s+to|note\s+to\s+self|(?:note|jot|write)(?:\s+down)?\s*:)"
)
# A todo verb acting on a bare id ("mark 3 done", "delete 2 and 4"), or an imperative add
# whose object is the title ("add oat milk"; "add 5 and 7" is also arithmetic).
_BARE_ID: Final = (
    r"(?:(?:mark|tick(?:\s+off)?|check\s+off|cross(?:\s+off)?|complete|finish|delete|remove"
    r"|erase|rename|update|edit)\s+(?:off\s+)?(?:number\s+|#\s*)?\d"
    r"|(?:show|get|open|display)\s+(?:me\s+)?(?:number|#)\s*\d"
    r"|(?:number|#)\s*\d+\s+(?:is|are)\s+(?:now\s+)?(?:done|complete|completed|finished))"
)
_ADD_OPENER: Final = r"^\W*(?:please\s+)?(?:add|jot\s+down|write\s+down)\s+\w"
_TODO_OBJECT: Final = re.compile(
    rf"\b(?:{_LIST_NOUN}|{_ITEM_REF}|{_REMIND}|{_BARE_ID})|{_ADD_OPENER}", _I
)

# The verbs of each todo action (a step of that action needs one in its text).
_ADD_VERB: Final = (
    r"(?:add|put|place|stick|throw|pop|write|jot|note|save|append|include|create|new"
    r"|log|record|remind|remember|forget|make\s+a\s+note|need\s+to|have\s+to|got\s+to)"
)
_SHOW_VERB: Final = (
    r"(?:list|show|see|view|display|read|give|what|which|how\s+many|pull|bring|open|check"
    r"|print|tell|rundown|overview|summary|go\s+(?:over|through)|look|get|fetch|find)"
)
_COMPLETE_VERB: Final = (
    r"(?:mark|tick|check|cross|complete[ds]?|finish(?:ed)?|done|did|close|resolve[ds]?)"
)
_DELETE_VERB: Final = (
    r"(?:delete[ds]?|remove[ds]?|drop|erase|cancel|discard|trash|scrap|rid|clear|take"
    r"|don['’]?t\s+need|no\s+longer\s+need)"
)
_UPDATE_VERB: Final = (
    r"(?:rename[ds]?|change[ds]?|update[ds]?|edit|modify|retitle|reword|set|replace"
    r"|should\s+(?:read|say|be)|say|says|read)"
)
_ID_OR_PRONOUN: Final = rf"(?:\d|{_ORDINAL}|\b(?:it|that|this|them)\b)"
_ACTION_CUES: Final[dict[str, re.Pattern[str]]] = {
    "add": re.compile(rf"\b{_ADD_VERB}\b", _I),
    "list": re.compile(rf"\b{_SHOW_VERB}\b|^\W*(?:my\s+)?{_LIST_NOUN}\W*$", _I),
    "get": re.compile(rf"\d|\b{_ORDINAL}\b", _I),
    "complete": re.compile(rf"\b{_COMPLETE_VERB}\b.*{_ID_OR_PRONOUN}|\d.*\b{_COMPLETE_VERB}", _I),
    "delete": re.compile(rf"\b{_DELETE_VERB}\b.*{_ID_OR_PRONOUN}|\d.*\b{_DELETE_VERB}", _I),
    "update": re.compile(rf"\b{_UPDATE_VERB}\b", _I),
}


def _words(text: str) -> list[str]:
    joined = _COMPARATIVE.sub(r"\1_than", replace_number_words(text))  # "5 more than 12"
    return [t.lower() for t in _TOKEN.findall(joined)]


def has_arithmetic_signal(text: str) -> bool:
    """True when `text` names a number with an operation on it (a sign or a word).

    Whatever the arithmetic reader reads as a calculation ("take away 45 from 120", "how
    many 7s fit in 84") is a signal too, so the two never disagree.
    """
    folded = replace_number_words(text)
    if _BINARY_SIGN.search(folded) or (_PERCENT_OPERAND.search(folded) and _has_number(folded)):
        return True
    if spoken_to_expression(text) is not None:
        return True
    words = _words(text)
    numbers = [i for i, w in enumerate(words) if w[0].isdigit() and not w[-1].isalpha()]
    operations = [i for i, w in enumerate(words) if _OPERATION_WORD.fullmatch(w)]
    return any(abs(i - j) <= _WINDOW for i in numbers for j in operations)


def _has_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def has_todo_signal(text: str) -> bool:
    """True when `text` names a todo object: the list, a todo by id, or a reminder."""
    return bool(_TODO_OBJECT.search(text))


def signals(text: str) -> frozenset[Signal]:
    """Every tool signal in `text` (empty: nothing here asks for a tool)."""
    found: set[Signal] = set()
    if has_arithmetic_signal(text):
        found.add("arithmetic")
    if has_todo_signal(text):
        found.add("todo")
    return frozenset(found)


def has_no_signal(text: str, *, refers_back: bool = False) -> bool:
    """True when `text` asks for no tool: a confident abstention, no model needed.

    That is: no step of any tool and action would be believed from it (`supports_step`),
    so "show me a poem" (a show verb, no todo object) and "my tasks at work are so
    boring" (a todo noun, no todo verb) are abstentions too.
    """
    if supports_step(text, "calculator"):
        return False
    return not any(
        supports_step(text, "todo_store", action, refers_back=refers_back)
        for action in _ACTION_CUES
    )


_BACK_REFERENCE: Final = re.compile(r"\b(?:it|that|this|them|those|these)\b", _I)


def refers_back(text: str, earlier: list[str]) -> bool:
    """True when `text` points with a pronoun ("it", "that") and an earlier text named a todo.

    "put milk on my list, then put eggs on it too": the second clause's "it" is the list.
    """
    return bool(_BACK_REFERENCE.search(text)) and any(has_todo_signal(e) for e in earlier)


TOOL_SIGNALS: Final[dict[str, Signal]] = {"calculator": "arithmetic", "todo_store": "todo"}
"""The signal a step of each tool needs in its text to be believed."""


def supports(text: str, tool: str) -> bool:
    """True when `text` carries the signal that a step calling `tool` needs.

    A tool without a known signal (one this module has no cues for) is always
    supported: the check can only refuse what it understands.
    """
    needed = TOOL_SIGNALS.get(tool)
    return needed is None or needed in signals(text)


def supports_step(
    text: str, tool: str, action: object = None, *, refers_back: bool = False
) -> bool:
    """True when `text` carries the signal for `tool` and names the step's action.

    Args:
        text: The text the step was planned from (one clause).
        tool: The step's tool.
        action: The `todo_store` action, if any; other tools ignore it.
        refers_back: The text points at a todo an earlier clause named ("mark it done"),
            which stands in for naming a todo object itself.
    """
    if not (refers_back and tool == "todo_store") and not supports(text, tool):
        return False
    cue = _ACTION_CUES.get(action) if tool == "todo_store" and isinstance(action, str) else None
    return cue is None or bool(cue.search(text))
