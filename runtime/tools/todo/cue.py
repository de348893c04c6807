"""The todo store's cue: a todo *object*, and the verb of each action, read from the text.

A todo object is the list itself ("my list", "my todos", "the agenda"), a todo by its id
("task 3", "the second item", "number 4" after a todo verb), or a request to be reminded
("remind me to", "don't let me forget"). A cue word alone ("show", "read", "todos") is
no cue: "my tasks at work are so boring" names no action, "show me a poem" no todo.

A step is believed only where the text also names its action (`supports_todo_step`): an
add needs a verb that puts something on the list, a list request a verb that shows it,
and a step on one todo an id (or "it", resolved elsewhere) and the verb of its action.
The vocabulary comes from the tool's own description and the example bank's labels,
never from the evaluation suite.
"""

from __future__ import annotations

import re
from typing import Final

_I = re.IGNORECASE

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
ACTION_CUES: Final[dict[str, re.Pattern[str]]] = {
    "add": re.compile(rf"\b{_ADD_VERB}\b", _I),
    "list": re.compile(rf"\b{_SHOW_VERB}\b|^\W*(?:my\s+)?{_LIST_NOUN}\W*$", _I),
    "get": re.compile(rf"\d|\b{_ORDINAL}\b", _I),
    "complete": re.compile(rf"\b{_COMPLETE_VERB}\b.*{_ID_OR_PRONOUN}|\d.*\b{_COMPLETE_VERB}", _I),
    "delete": re.compile(rf"\b{_DELETE_VERB}\b.*{_ID_OR_PRONOUN}|\d.*\b{_DELETE_VERB}", _I),
    "update": re.compile(rf"\b{_UPDATE_VERB}\b", _I),
}


def has_todo_signal(text: str) -> bool:
    """True when `text` names a todo object: the list, a todo by id, or a reminder."""
    return bool(_TODO_OBJECT.search(text))


def supports_todo_step(text: str, action: object, refers_back: bool) -> bool:
    """True when `text` names a todo object (or points back at one) and the action's verb.

    Args:
        text: The text the step was planned from (one clause).
        action: The step's `action`; one without a cue of its own needs only the object.
        refers_back: The text points at a todo an earlier clause named ("mark it done"),
            which stands in for naming a todo object itself.
    """
    if not refers_back and not has_todo_signal(text):
        return False
    cue = ACTION_CUES.get(action) if isinstance(action, str) else None
    return cue is None or bool(cue.search(text))


def asks_for_todo(text: str, refers_back: bool) -> bool:
    """True when a step of some todo action would be believed from `text`."""
    return any(supports_todo_step(text, action, refers_back) for action in ACTION_CUES)
