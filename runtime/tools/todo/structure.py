"""A todo request read from its parts, in any word order: an action, its todo, and framing.

The rules in `rules` each read one phrasing family from start to end. People put
the same parts in other orders and wrap them in other words: "please cross task 5 off
my list", "task 2 is no longer needed", "i'm finished with the second task", "anything
on my todo list?". This reader takes the parts out instead:

- the todo ids (`rules.MARKED_ID_LIST`: "task 3", "number 2", "the 4th item", "#4"),
  and the list itself where it is only a place ("off my list", "on the list");
- the words that name an action, from a small lexicon per action (`complete`,
  `delete`, `get`; `list` when no id is named and the list is the object);
- what is left must only frame the request (please, can you, I, now, already ...).

A clause is read only when exactly one action is named and nothing is left over, so
"task 3 of the project plan is hard" and "what's on the list of world heritage sites"
stay unread: a word of no known role is a reason not to act. A yes/no question about a
todo ("is task 3 done?", "can task 2 go?") changes nothing: only `get` answers one.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.tools.todo.rules import LIST_REF, MARKED_ID_LIST, PREVIOUS_ID, parse_ids

_I = re.IGNORECASE
_MAX_CHARS: Final = 160

_IDS: Final = re.compile(rf"(?<![\w#])(?:{MARKED_ID_LIST})(?!\w)", _I)
_PLACE: Final = re.compile(rf"\b(?:on|in|from|off|of)\s+{LIST_REF}\b", _I)
_LIST_OBJECT: Final = re.compile(
    rf"\b{LIST_REF}\b|\b(?:my|the)\s+(?:to-?do|to\s+do|todo|task)\s+list\b", _I
)

# Action phrases, longest first within each action. An action is named when one of its
# phrases occurs; a clause naming two actions is left to the rules or the model.
_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "complete": (
        r"(?:tick|check|cross|knock|mark)(?:ed)?\s+off",
        r"got\s+through",
        r"done\s+with",
        r"finished\s+with",
        r"taken\s+care\s+of",
        r"done",
        r"complete[ds]?",
        r"finish(?:ed)?",
        r"ticked",
        r"checked",
        r"crossed",
    ),
    "delete": (
        r"get\s+rid\s+of",
        r"clear\s+out",
        r"clear",
        r"no\s+longer\s+(?:need(?:ed)?|required|relevant)",
        r"(?:don['’]?t|do\s+not)\s+need",
        r"not\s+needed",
        r"can\s+go",
        r"take\s+off",
        r"cross\s+out",
        r"forget\s+about",
        r"delete[ds]?",
        r"remove[ds]?",
        r"drop(?:ped)?",
        r"erase[ds]?",
        r"cancel(?:led|ed)?",
        r"discard(?:ed)?",
        r"trash(?:ed)?",
        r"scrap(?:ped)?",
        r"wipe[ds]?",
        r"ditch(?:ed)?",
    ),
    "get": (
        r"remind\s+me\s+what",
        r"tell\s+me\s+about",
        r"what\s+(?:was|is|does)",
        r"what['’]?s",
        r"details\s+(?:of|for|on)",
        r"look\s+at",
        r"(?:let\s+me|can\s+i|could\s+i|i\s+want\s+to)\s+see",
        r"view",
        r"open",
        r"show",
        r"describe",
        r"read",
    ),
    "list": (
        r"what\s+(?:is|are|was)",
        r"what['’]?s",
        r"what\s+have\s+i\s+got",
        r"what\s+do\s+i\s+have",
        r"what\s+does",
        r"let\s+me\s+(?:know|see)",
        r"(?:can|could|may)\s+i\s+see",
        r"show",
        r"read",
        r"anything",
        r"list",
    ),
}
_ID_ACTIONS: Final = ("complete", "delete", "get")
# A yes/no question about a todo ("has task 2 been deleted", "can task 2 go?") changes
# nothing; polite requests ("can you tick task 2 off") are not questions.
_QUESTION: Final = re.compile(
    r"^\s*(?:is|are|was|were|has|have|had|did|does|do|(?:can|could|should|may|will|would)"
    r"\s+(?!you\b|u\b))\b",
    _I,
)
_POLITE: Final = re.compile(r"^\s*(?:please\s+)?(?:can|could|would|will)\s+(?:you|u)\b", _I)
_SOMEONE_ELSES: Final = re.compile(r"\byour\b", _I)
_ACTION_PATTERNS: Final = {
    action: re.compile(rf"\b(?:{'|'.join(phrases)})\b", _I) for action, phrases in _ACTIONS.items()
}
# Words that frame a request without adding to it. "mark", "set" and "flag" are here
# because they name no action alone ("mark task 2" says neither done nor deleted).
_FRAME: Final = frozenset(
    {
        "please", "pls", "can", "could", "would", "will", "you", "u", "i", "i'm", "im",
        "i've", "ive", "me", "my", "the", "a", "is", "are", "was", "be", "been", "has",
        "have", "as", "with", "now", "already", "anymore", "any", "more", "just", "so",
        "ok", "okay", "hey", "thanks", "again", "actually", "go", "ahead", "and", "it",
        "its", "it's", "that", "this", "one", "mark", "set", "flag", "for", "today",
        "tonight", "currently", "right", "all", "still", "there", "on", "from", "off",
        "out", "of", "to", "up", "then", "also", "yes", "kindly", "quickly", "by", "am",
        "we", "our", "your", "at", "moment", "list", "todo", "to-do", "tasks", "todos", "'s",
        "s", "item", "task", "let", "first", "look", "like", "say", "says",
    }
)  # fmt: skip
_WORD: Final = re.compile(r"[\w'’-]+")


def _only_frames(text: str) -> bool:
    """True when every word of `text` only frames a request (and no number is left)."""
    words = (w.lower().replace("’", "'") for w in _WORD.findall(_PLACE.sub(" ", text)))
    return all(w in _FRAME for w in words)


def _named_actions(text: str, candidates: tuple[str, ...]) -> list[tuple[str, str]]:
    """(action, text with that action's phrases removed) for each action named."""
    found = []
    for action in candidates:
        pattern = _ACTION_PATTERNS[action]
        if pattern.search(text):
            found.append((action, pattern.sub(" ", text)))
    return found


def _is_question(clause: str) -> bool:
    text = clause.strip()
    return bool(_QUESTION.match(text)) or (text.endswith("?") and not _POLITE.match(text))


def _read_with_ids(
    text: str, span: re.Match[str], *, asks: bool
) -> list[dict[str, JsonValue]] | None:
    ids = parse_ids(span.group())
    if not ids or PREVIOUS_ID in ids:
        return None  # pronouns are the rules' and `references`' business
    named = _named_actions(text[: span.start()] + " " + text[span.end() :], _ID_ACTIONS)
    if len(named) != 1 or not _only_frames(named[0][1]):
        return None
    action = named[0][0]
    if action != "get" and asks:
        return None  # "is task 3 done?" asks; it does not tell
    return [{"action": action, "id": i} for i in ids]


def _read_list_request(text: str) -> list[dict[str, JsonValue]] | None:
    if not _LIST_OBJECT.search(text) or _SOMEONE_ELSES.search(text):
        return None
    named = _named_actions(_LIST_OBJECT.sub(" ", text), ("list",))
    return [{"action": "list"}] if named and _only_frames(named[0][1]) else None


def read_todo_structure(clause: str) -> list[dict[str, JsonValue]] | None:
    """Read one clause as a todo request from its parts, in any word order.

    Args:
        clause: One clause of a prompt, e.g. "please cross task 5 off my list".

    Returns:
        The `todo_store` inputs (one per id; one `list` without ids), or None when the
        clause does not name exactly one action and its todo with nothing else left.
    """
    if len(clause) > _MAX_CHARS:
        return None
    asks = _is_question(clause)
    text = clause.strip().rstrip("?!.")
    spans = list(_IDS.finditer(text))
    if len(spans) > 1:
        return None
    return _read_with_ids(text, spans[0], asks=asks) if spans else _read_list_request(text)
