"""Todo intents: an ordered table of precompiled regexes, one row per phrasing family.

Each rule reads one clause (case kept, matched case-insensitively) and yields inputs for
the `todo_store` tool. Titles are the user's own words: only surrounding quotes, outer
whitespace and trailing punctuation are removed, so "<b>Milk</b>" stays "<b>Milk</b>".
Ids are digits or number words ("task three"); several ids ("delete 2 and 3") give one
step each. A clause that names no id ("delete the milk one") matches no rule: the
planner cannot know the id without reading the store, so it abstains.

`TODO_RULES` run before the arithmetic rules; `FALLBACK_ADD_RULES` ("add X", with no list
word) run after them, so that "add 5 and 7" is arithmetic and "add milk" a todo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import JsonValue

from runtime.planners.number_words import NUMBER_WORD_PATTERN, parse_number_words
from runtime.tools.todo import TodoAction

_A = "['’]"  # people type either apostrophe
_NOUN = r"(?:to-?dos?|to\s+dos?|tasks?|items?|reminders?|entry|entries)"
_LIST = (
    r"(?:(?:to-?do|to\s+do|todo|task|shopping|grocery|groceries|reading|work)\s+)?lists?"
    r"|to-?dos|to\s+dos|tasks|reminders|agenda|checklist"
)
_LIST_REF = rf"(?:my|the|our|your)\s+(?:{_LIST})"
_ID = (
    rf"(?:{_NOUN}\s+)?(?:(?:number|no\.?|num\.?)\s*|\#\s*)?"
    rf"(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*)"
)
_IDS = rf"(?P<ids>{_ID}(?:\s*(?:,\s*and|,|&|\band)\s*{_ID})*)"
_ONE_ID = rf"(?P<ids>{_ID})"
# An id that must be introduced by a noun or a number sign, so "show 3" stays unplanned.
_MARKED_ID = (
    rf"(?P<ids>(?:{_NOUN}\s+(?:(?:number|no\.?|num\.?)\s*|\#\s*)?|(?:number|\#)\s*)"
    rf"(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*))"
)
_TITLE = r"(?P<title>.+?)"

_ID_PREFIX = re.compile(rf"^(?:{_NOUN}\s+)?(?:(?:number|no\.?|num\.?)\s*|\#\s*)?", re.I)
_ID_SPLIT = re.compile(r"\s*(?:,\s*and|,|&|\band)\s*", re.I)
# A title holding "to my list" was glued to the next clause; let the splitter cut it.
_GLUED_TITLE = re.compile(rf"\b(?:to|on|onto|in|into|from)\s+{_LIST_REF}\b", re.I)
# A title that goes on to address the assistant ("... and tell me a joke") is two requests.
_ASSISTANT_TAIL = re.compile(
    r"\b(?:and|then|also)\s+(?:then\s+)?(?:(?:tell|show|give|send)\s+me|what|who|how|why"
    r"|where|when|can\s+you|could\s+you|would\s+you|please)\b",
    re.I,
)
# Bare "add X" has no list word to vouch for X, so "add milk and send an email" is cut.
_ACTION_TAIL = re.compile(
    r"\b(?:and|then|also)\s+(?:then\s+)?(?:send|email|text|book|set|translate|play|order"
    r"|schedule|show|list|delete|remove|mark|complete|rename|update|change|calculate|compute"
    r"|add|remind)\b",
    re.I,
)
_PRONOUN = re.compile(r"^(?:it|this|that|these|those|them|one|something)$", re.I)
_TRAILING_PUNCT = re.compile(r"[\s.!?,;:]+$")
_QUOTES = (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("`", "`"), ("«", "»"))


@dataclass(frozen=True, slots=True)
class TodoRule:
    """One phrasing family of one todo action.

    Attributes:
        action: The `todo_store` action the rule asks for.
        pattern: Full-clause regex; named groups `ids` and/or `title` carry the values.
        strict_title: Also refuse titles that run on into another action ("milk and
            send an email"); for rules with no list word to vouch for the title.
    """

    action: TodoAction
    pattern: re.Pattern[str]
    strict_title: bool = False


def _rules(action: TodoAction, *sources: str, strict_title: bool = False) -> tuple[TodoRule, ...]:
    # One rule per source: Python's `re` rejects a group name used twice in one pattern.
    return tuple(TodoRule(action, re.compile(s, re.I), strict_title) for s in sources)


_DONE = r"(?:done|complete|completed|finished|checked(?:\s+off)?|ticked\s+off|crossed\s+off|off)"
_SHOW = (
    r"(?:show|get|display|view|open|fetch|read|find|look\s+up|pull\s+up|check|see|print"
    rf"|what{_A}s|what\s+is|what\s+was|what\s+does|give\s+me|tell\s+me\s+about)"
)

TODO_RULES: tuple[TodoRule, ...] = (
    *_rules(
        "get",
        rf"^{_SHOW}\s+(?:me\s+)?(?:the\s+)?(?:details\s+(?:of|for|on)\s+)?(?:my\s+)?"
        rf"{_MARKED_ID}(?:\s+(?:say|details|about|is))?$",
        rf"^(?:details\s+(?:of|for|on)\s+)?(?:my\s+)?{_MARKED_ID}$",
    ),
    *_rules(
        "list",
        r"^(?:list|show|display|view|get|see|print|read(?:\s+out)?|give\s+me|check|open"
        r"|pull\s+up|what\s+are|tell\s+me)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my|the|our)?\s*"
        r"(?:current\s+|open\s+|pending\s+|remaining\s+|outstanding\s+|existing\s+)?"
        r"(?:to-?dos?|to\s+dos?|tasks|items|reminders|everything|things\s+to\s+do"
        rf"|{_LIST})(?:\s+(?:list|again|now|so\s+far|please))?$",
        rf"^what(?:{_A}s|\s+is|\s+do\s+i\s+have|\s+have\s+i\s+got|\s+else\s+is)?\s+(?:still\s+)?"
        rf"(?:on|in)\s+{_LIST_REF}$",
        r"^what\s+(?:do|must|should)\s+i\s+(?:have|need|got)\s+to\s+do"
        r"(?:\s+today|\s+next|\s+now|\s+still)?$",
        rf"^what(?:{_A}s|\s+is)\s+(?:left|remaining|pending|open)(?:\s+to\s+do)?"
        rf"(?:\s+on\s+{_LIST_REF})?$",
        r"^what\s+(?:tasks|to-?dos|to\s+dos|reminders)\s+(?:do\s+i\s+have|are\s+there"
        r"|are\s+left|are\s+open)$",
        r"^(?:do\s+i\s+have|are\s+there|how\s+many)\s+(?:any\s+)?(?:open\s+)?"
        r"(?:to-?dos|to\s+dos|tasks|reminders)(?:\s+(?:left|do\s+i\s+have|are\s+there))?$",
        r"^(?:my\s+)?(?:to-?dos|to\s+dos|tasks|(?:to-?do|todo|to\s+do|task)\s+list)$",
    ),
    *_rules(
        "complete",
        rf"^(?:mark|set|flag|tick|check|cross)\s+(?:the\s+)?{_IDS}\s+(?:as\s+)?{_DONE}$",
        r"^(?:complete|finish|close|resolve|check\s+off|tick\s+off|cross\s+off|mark\s+off"
        rf"|done\s+with|i{_A}?(?:ve|\s+have)?\s+(?:just\s+)?(?:finished|completed|done|did)"
        rf"|i{_A}m\s+done\s+with|i\s+am\s+done\s+with)\s+(?:the\s+)?{_IDS}$",
        rf"^{_IDS}\s+(?:is\s+|are\s+)?(?:done|complete|completed|finished)$",
    ),
    *_rules(
        "delete",
        r"^(?:delete|remove|drop|erase|cancel|discard|trash|scrap|get\s+rid\s+of|clear"
        rf"|cross\s+out)\s+(?:the\s+)?{_IDS}(?:\s+(?:off|from)\s+{_LIST_REF})?$",
        rf"^take\s+(?:the\s+)?{_IDS}\s+off\s+{_LIST_REF}$",
    ),
    *_rules(
        "update",
        r"^(?:rename|change|update|edit|modify|set|retitle|reword)\s+(?:the\s+)?"
        rf"(?:(?:title|name|text)\s+of\s+)?{_ONE_ID}"
        rf"\s*(?:\s(?:to\s+say|to\s+read|to|into|as|with)\s+|:\s*|=\s*){_TITLE}$",
    ),
    *_rules(
        "add",
        r"^(?:remind\s+me\s+(?:to|about)|remember\s+to|don[’']?t\s+(?:let\s+me\s+)?forget\s+to"
        r"|note\s+to\s+self\s*:?|make\s+a\s+note\s+to|(?:i\s+need\s+a|set\s+a)\s+reminder\s+to)"
        rf"\s+{_TITLE}$",
        r"^(?:add|put|place|stick|throw|write(?:\s+down)?|jot(?:\s+down)?|pop|append|include"
        rf"|save)\s+{_TITLE}\s+(?:to|on|onto|in|into)\s+{_LIST_REF}$",
        rf"^(?:add|put|write)\s+(?:to|on|onto|in)\s+{_LIST_REF}\s*[:,\-–]?\s+{_TITLE}$",
        r"^(?:create|make|add|open|start|new|set\s+up|log|record)\s+(?:a\s+|an\s+|another\s+)?"
        r"(?:new\s+)?(?:to-?do|to\s+do|task|reminder|item|entry)(?:\s+item)?"
        r"(?:\s*[:\-–]\s*|\s+(?:called|named|titled|saying|that\s+says|for|to|about"
        rf"|with\s+(?:the\s+)?title)\s+|\s+){_TITLE}$",
        rf"^(?:new\s+)?(?:to-?do|task|reminder)\s*:\s*{_TITLE}$",
    ),
)
"""Rules tried before arithmetic, in order; the first that matches wins."""

FALLBACK_ADD_RULES: tuple[TodoRule, ...] = _rules(
    "add", rf"^(?:add|jot\s+down|write\s+down)\s+{_TITLE}$", strict_title=True
)
"""Bare "add X": tried after arithmetic, so "add 5 and 7" stays a calculation."""


def clean_title(raw: str) -> str:
    """Strip outer whitespace, trailing punctuation and one pair of surrounding quotes.

    Args:
        raw: The title as the user wrote it.

    Returns:
        The title, otherwise verbatim (case, inner punctuation and markup kept).
    """
    title = _TRAILING_PUNCT.sub("", raw.strip())
    for left, right in _QUOTES:
        if len(title) >= 2 and title.startswith(left) and title.endswith(right):
            return title[1:-1].strip()
    return title


def _acceptable_title(title: str, *, strict: bool) -> bool:
    if not title or _PRONOUN.match(title):
        return False  # "add it to my list": nothing to add, the referent is elsewhere
    if _GLUED_TITLE.search(title) or _ASSISTANT_TAIL.search(title):
        return False
    return not (strict and _ACTION_TAIL.search(title))


def _parse_ids(raw: str) -> list[int] | None:
    ids = []
    for part in _ID_SPLIT.split(raw.strip()):
        value = parse_number_words(_ID_PREFIX.sub("", part))
        if value is None:
            return None
        ids.append(value)
    return ids


def _inputs(rule: TodoRule, m: re.Match[str]) -> list[dict[str, JsonValue]] | None:
    groups = m.groupdict()
    title = None
    if groups.get("title") is not None:
        title = clean_title(groups["title"])
        if not _acceptable_title(title, strict=rule.strict_title):
            return None
    if groups.get("ids") is None:
        base: dict[str, JsonValue] = {"action": rule.action}
        return [base if title is None else {**base, "title": title}]
    ids = _parse_ids(groups["ids"])
    if ids is None:
        return None
    extra: dict[str, JsonValue] = {} if title is None else {"title": title}
    return [{"action": rule.action, "id": i, **extra} for i in ids]


def match_todo(clause: str, rules: tuple[TodoRule, ...]) -> list[dict[str, JsonValue]] | None:
    """Match one clause against a rule table.

    Args:
        clause: One normalized clause (fillers and trailing "?" already removed).
        rules: `TODO_RULES` or `FALLBACK_ADD_RULES`.

    Returns:
        One `todo_store` input per step, or None when no rule serves the clause.
    """
    for rule in rules:
        m = rule.pattern.match(clause)
        if m is not None and (inputs := _inputs(rule, m)) is not None:
            return inputs
    return None
