"""Todo intents: an ordered table of regexes, one row per phrasing family.

Each rule reads one clause (case kept, matched case-insensitively) and yields inputs for
the `todo_store` tool. Titles are the user's own words: only surrounding quotes, outer
whitespace and trailing punctuation are removed, so "<b>Milk</b>" stays "<b>Milk</b>".
Ids are digits or number words ("task three"), positions ("the second todo"), or a
pronoun ("mark it done": `PREVIOUS_ID`, resolved by `references`); several ids ("delete 2
and 3") give one step each. A list request is read as its parts, a verb that shows and
the list as its object ("let me see" + "my whole task list"), not as whole phrasings.
A clause that names no id ("delete the milk one") matches no rule: the
planner cannot know the id without reading the store, so it abstains.

`TODO_RULES` run before the arithmetic rules; `FALLBACK_ADD_RULES` ("add X", with no list
word) run after them, so that "add 5 and 7" is arithmetic and "add milk" a todo.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.number_words import NUMBER_WORD_PATTERN, parse_number_words
from crane_bench.runtime.planners.regex_tables import Prefilter
from crane_bench.runtime.tools.todo import TodoAction

_A = "['’]"  # people type either apostrophe
_NOUN = r"(?:to-?dos?|to\s+dos?|tasks?|items?|reminders?|entry|entries)"
_LIST = (
    r"(?:(?:to-?do|to\s+do|todo|task|shopping|grocery|groceries|reading|work)\s+)?lists?"
    r"|to-?dos|to\s+dos|tasks|reminders|agenda|checklist"
)
_LIST_REF = rf"(?:my|the|our|your)\s+(?:{_LIST})"
LIST_REF = _LIST_REF
"""Regex source for the list itself ("my list", "the todo list", "my tasks")."""
_ON_LIST = rf"(?:\s+(?:on|in|from|off)\s+{_LIST_REF})?"
_ORDINAL_IDS = MappingProxyType(
    {
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
        "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    }
)  # fmt: skip
# "third" or "3rd": a position, spelled out or in digits.
_ORDINAL = rf"(?:{'|'.join(_ORDINAL_IDS)}|\d+(?:st|nd|rd|th)\b)"
# "the second todo", "the third one": an id by its position (ids are given in order).
_ORDINAL_ID = rf"(?:the\s+)?{_ORDINAL}\s+(?:to-?do|to\s+do|task|item|reminder|entry|one)"
# "it", "that one": the todo an earlier clause named; `PatternPlanner` resolves it.
_PRONOUN_ID = r"(?:it|that(?:\s+one)?|this(?:\s+one)?|them(?:\s+both|\s+all)?)"
PREVIOUS_ID = -1
"""The id a pronoun stands for until the planner resolves it from an earlier clause."""
_NUMBERED_ID = (
    rf"(?:{_NOUN}\s+)?(?:(?:number|no\.?|num\.?)\s*|\#\s*)?"
    rf"(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*)"
)
# "tick off the second one and remove the third": "the" and a position name an id too.
_ID = rf"(?:{_ORDINAL_ID}|{_PRONOUN_ID}|{_NUMBERED_ID}|the\s+{_ORDINAL}\b)"
ID_LIST = rf"(?:{_ID}(?:\s*(?:,\s*and|,|&|\band)\s*{_ID})*)"
"""Regex source for one todo id or several joined by "and" or commas ("task 2 and 4")."""
MARKED_ID_LIST = (
    rf"(?:(?:{_ORDINAL_ID}|the\s+{_ORDINAL}\b|(?:{_NOUN}s?\s+(?:(?:number|no\.?|num\.?)\s*|\#\s*)?"
    rf"|(?:number|\#)\s*)(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*))"
    rf"(?:\s*(?:,\s*and|,|&|\band)\s*{_ID})*)"
)
"""`ID_LIST` whose first id is marked as one ("task 3", "#3", "the 3rd"), not a bare number."""
_IDS = rf"(?P<ids>{ID_LIST})"
_ONE_ID = rf"(?P<ids>{_ID})"
# An id that must be introduced by a noun or a number sign, so "show 3" stays unplanned.
_MARKED_ID = (
    rf"(?P<ids>{_ORDINAL_ID}|(?:{_NOUN}\s+(?:(?:number|no\.?|num\.?)\s*|\#\s*)?"
    rf"|(?:number|\#)\s*)(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*))"
)
_TITLE = r"(?P<title>.+?)"
# "I need to X, put that on my list": a need stated before the request.
_NEED_TO = (
    r"(?:i\s+(?:need|have|want|got)\s+to|i['’]ve\s+got\s+to|i\s+must|i\s+should|i\s+gotta"
    r"|gotta|got\s+to|need\s+to|have\s+to)"
)
_PUT_THAT_ON_THE_LIST = (
    r"(?:so\s+|and\s+)?(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?"
    r"(?:(?:put|add|note|write|jot|save|stick|pop)\s+(?:that|it|this)\s+(?:down\s+)?"
    rf"|(?:could|can|would)\s+(?:that|it|this)\s+go\s+)(?:on|to|in|onto|into)\s+{_LIST_REF}"
)
# Without a stated need, the earlier part must not be a question, a reply or another
# request: "what's 12 * 12, add it to my list", "sure, add that to my list".
_NOT_A_TITLE = (
    r"(?!(?:what|what['’]s|whats|who|why|how|when|where|which|did|do|does|is|are|was|were|can"
    r"|could|would|will|i['’]ll|i\s+will|yes|yeah|sure|ok|okay|no|calculate|compute|work\s+out"
    r"|show|tell|list|delete|remove|mark|tick|give|find|add|put)\b)"
)

_ID_PREFIX = re.compile(rf"^(?:{_NOUN}\s+)?(?:(?:number|no\.?|num\.?)\s*|\#\s*)?", re.I)
_ORDINAL_MATCH = re.compile(rf"^(?:the\s+)?(?P<ordinal>{_ORDINAL})\b", re.I)
_PRONOUN_MATCH = re.compile(rf"^{_PRONOUN_ID}$", re.I)
_ID_SPLIT = re.compile(r"\s*(?:,\s*and|,|&|\band)\s*", re.I)
# A title holding "to my list" was glued to the next clause; let the splitter cut it.
_GLUED_TITLE = re.compile(rf"\b(?:to|on|onto|in|into|from)\s+{_LIST_REF}\b", re.I)
# A title that goes on to address the assistant ("... and tell me a joke") is two requests.
_ASSISTANT_TAIL = re.compile(
    r"\b(?:and|then|also)\s+(?:then\s+)?(?:(?:tell|show|give|send|let)\s+me|what|who|how|why"
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
_PRONOUN = re.compile(r"^(?:it|this|that|these|those|them|one|something|me|you|us|him|her)$", re.I)
# "add up the receipts": "add up" sums things; the rest is not a title.
_SUM_PARTICLE = re.compile(r"(?:up|together)\b", re.I)
# Bare "add an event to my calendar", "add some salt to the soup": a thing (a determiner
# first, not a verb) put into a container that is not the list. "add take the car to the
# garage" starts with a verb: a task.
_THING_INTO_CONTAINER = re.compile(
    r"^(?:a|an|some|more|extra|the|this|that|these|those|my|your|our)\b.*"
    r"\b(?:to|into|onto|in)\s+(?:my|the|this|that|your|our|a|an|his|her|their)\b",
    re.I,
)
_LETTER = re.compile(r"[^\W\d_]")
_TRAILING_PUNCT = re.compile(r"[\s.!?,;:]+$")
_QUOTES = (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("`", "`"), ("«", "»"))


@dataclass(frozen=True, slots=True)
class TodoRule:
    """One phrasing family of one todo action.

    Attributes:
        action: The `todo_store` action the rule asks for.
        source: Full-clause regex source, matched case-insensitively; named groups `ids`
            and/or `title` carry the values.
        strict_title: Also refuse titles that run on into another action ("milk and
            send an email"); for rules with no list word to vouch for the title.
    """

    action: TodoAction
    source: str
    strict_title: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        """`source` compiled, on first use (then cached for the process)."""
        return _compile(self.source)


@functools.cache
def _compile(source: str) -> re.Pattern[str]:
    # Compiling the ~35 rules takes tens of ms, most of what importing the pattern planner
    # costs; compiled when first matched, a process that never plans (the CLI's `--help`,
    # a service that has not planned yet) never pays, and one that does pays once.
    return re.compile(source, re.I)


class TodoRuleTable(tuple[TodoRule, ...]):
    """Rules tried in order, the first that serves a clause winning.

    Its `prefilter` (one alternation of every rule) tells in one call whether any rule
    can match a clause at all; most clauses match none.
    """

    @cached_property
    def prefilter(self) -> Prefilter:
        """Rules out a clause no rule of the table matches at its start."""
        return Prefilter(lambda: (rule.pattern for rule in self), anchored=True)


def _rules(action: TodoAction, *sources: str, strict_title: bool = False) -> tuple[TodoRule, ...]:
    # One rule per source: Python's `re` rejects a group name used twice in one pattern.
    return tuple(TodoRule(action, s, strict_title) for s in sources)


_DONE = r"(?:done|complete|completed|finished|checked(?:\s+off)?|ticked\s+off|crossed\s+off|off)"
_SHOW = (
    r"(?:show|get|display|view|open|fetch|read|find|look\s+up|pull\s+up|check|see|print"
    rf"|what{_A}s|what\s+is|what\s+was|what\s+does|give\s+me|tell\s+me\s+about)"
)

# A list request is a verb that shows, then the list as its object, then fillers.
_LIST_OPENER = (
    r"(?:list|show|display|view|get|see|print|read(?:\s+out)?|give|check|open|pull\s+up"
    r"|listing|showing|displaying"
    r"|bring\s+up|tell|go\s+(?:over|through)|run\s+through|let\s+me\s+(?:see|have)"
    r"|(?:can|could|may)\s+i\s+(?:see|have|get)|i\s+(?:want|need|would\s+like)\s+to\s+see"
    rf"|i{_A}d\s+like\s+to\s+see|what\s+are)(?:\s+me)?"
)
_COLLECTION = (
    r"(?:(?:to-?do|to\s+do|todo|task)\s+(?:list|items)|to-?dos|to\s+dos|tasks|items"
    rf"|reminders|everything|things\s+to\s+do|{_LIST})"
)
_LIST_OBJECT = (
    r"(?:(?:a|an|the)\s+)?(?:rundown|summary|overview|list)\s+of\s+(?:all\s+)?(?:of\s+)?"
    rf"(?:my|the|our)\s+{_COLLECTION}"
    rf"|(?:all|everything)\s+(?:that\s+is\s+|that{_A}s\s+)?(?:on|in)\s+{_LIST_REF}"
    r"|(?:all\s+)?(?:of\s+)?(?:my|the|our)?\s*(?:(?:whole|entire|full|complete|current|open"
    rf"|pending|remaining|outstanding|existing)\s+)?{_COLLECTION}"
)
_LIST_TRAIL = (
    r"(?:\s+(?:list|again|now|so\s+far|please|after(?:wards)?|after\s+that|too|as\s+well"
    r"|for\s+me|then))*"
)

TODO_RULES: Final = TodoRuleTable(
    (
        *_rules(
            "get",
            rf"^{_SHOW}\s+(?:me\s+)?(?:the\s+)?(?:details\s+(?:of|for|on)\s+)?(?:my\s+)?"
            rf"{_MARKED_ID}(?:\s+(?:say|details|about|is))?{_ON_LIST}$",
            rf"^(?:details\s+(?:of|for|on)\s+)?(?:my\s+)?{_MARKED_ID}$",
            # after a clause that named a todo: "..., then show me how it reads now"
            r"^(?:show|tell)\s+me\s+(?:how|what)\s+(?P<ids>it|that(?:\s+one)?)\s+(?:reads|looks|says)"
            r"(?:\s+like)?(?:\s+now)?$",
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
            r"^what\s+(?:do|must|should)\s+i\s+(?:still\s+)?(?:have|need|got)\s+to\s+do"
            r"(?:\s+today|\s+next|\s+now|\s+still)?$",
            rf"^(?:(?:show|tell)\s+me\s+)?what(?:{_A}s|\s+is)\s+(?:still\s+)?(?:left|remaining"
            r"|pending|open)(?:\s+(?:for\s+me\s+)?to\s+do)?"
            rf"(?:\s+on\s+{_LIST_REF})?$",
            r"^(?:what|which)\s+(?:tasks|to-?dos|to\s+dos|reminders|items|things)\s+(?:do\s+i\s+have"
            r"|have\s+i\s+got|are\s+there|are)(?:\s+(?:still|left))?"
            rf"(?:\s+(?:left|open|remaining|pending|outstanding|to\s+do|(?:on|in)\s+{_LIST_REF}))?$",
            r"^(?:do\s+i\s+have|are\s+there|how\s+many)\s+(?:any\s+)?(?:open\s+)?"
            r"(?:to-?dos|to\s+dos|tasks|reminders)(?:\s+(?:left|do\s+i\s+have|are\s+there))?$",
            r"^(?:my\s+)?(?:to-?dos|to\s+dos|tasks|(?:to-?do|todo|to\s+do|task)\s+list)$",
            # after a clause that named the list: "..., then list them all", "show me what's there"
            r"^(?:list|show(?:\s+me)?)\s+(?:them(?:\s+all)?|all\s+of\s+them)$",
            rf"^(?:show|tell)\s+me\s+what{_A}?s\s+(?:on\s+)?(?:there|on\s+it|in\s+it)(?:\s+now)?$",
            rf"^{_LIST_OPENER}\s+(?:{_LIST_OBJECT}){_LIST_TRAIL}$",
        ),
        *_rules(
            "complete",
            rf"^(?:mark|set|flag|tick|check|cross)\s+(?:the\s+)?{_IDS}\s+(?:as\s+)?{_DONE}{_ON_LIST}$",
            r"^(?:complete|finish|close|resolve|check\s+off|tick\s+off|cross\s+off|mark\s+off"
            rf"|done\s+with|i{_A}?(?:ve|\s+have)?\s+(?:just\s+)?(?:finished|completed|done|did)"
            rf"|i{_A}m\s+done\s+with|i\s+am\s+done\s+with)\s+(?:the\s+)?{_IDS}$",
            rf"^{_IDS}\s+(?:is\s+|are\s+)?(?:now\s+)?(?:done|complete|completed|finished)"
            r"(?:\s+(?:now|already))?$",
        ),
        *_rules(
            "delete",
            r"^(?:delete|remove|drop|erase|cancel|discard|trash|scrap|get\s+rid\s+of|clear"
            rf"|cross\s+out)\s+(?:the\s+)?{_IDS}(?:\s+(?:off|from)\s+{_LIST_REF})?$",
            rf"^take\s+(?:the\s+)?{_IDS}\s+off\s+{_LIST_REF}$",
            rf"^i\s+(?:don{_A}?t|do\s+not|no\s+longer)\s+need\s+(?:the\s+)?{_IDS}"
            r"(?:\s+(?:anymore|any\s+more|now))?$",
        ),
        *_rules(
            "update",
            r"^(?:rename|change|update|edit|modify|set|retitle|reword)\s+(?:the\s+)?"
            rf"(?:(?:title|name|text)\s+of\s+)?{_ONE_ID}"
            rf"\s*(?:\s(?:to\s+say|to\s+read|to|into|as|with|so\s+(?:that\s+)?it\s+(?:says|reads))\s+"
            rf"|:\s*|=\s*){_TITLE}$",
            rf"^(?:the\s+)?{_ONE_ID}\s+should\s+(?:say|read|be)\s+{_TITLE}(?:\s+instead)?$",
            rf"^for\s+{_ONE_ID}\s*,?\s+(?:the\s+)?(?:new\s+)?(?:wording|title|text|name)\s+(?:should\s+be"
            rf"|is|will\s+be)\s*:?\s*{_TITLE}$",
        ),
        *_rules(
            "add",
            r"^(?:remind\s+me\s+(?:later\s+|tomorrow\s+|tonight\s+)?(?:to|about)"
            r"|(?:make\s+sure\s+i\s+|i\s+(?:need|have|want)\s+to\s+|i\s+must\s+|i\s+should\s+)?"
            r"remember\s+to|(?:make\s+sure\s+)?(?:i\s+)?(?:don[’']?t|do\s+not|must\s+not|mustn[’']?t"
            r"|can[’']?t|cannot|shouldn[’']?t|should\s+not)\s+(?:let\s+me\s+)?forget\s+to"
            # "don't forget the dentist": an order to remember a thing (not "i can't forget ...")
            r"|(?:don[’']?t|do\s+not)\s+(?:let\s+me\s+)?forget"
            r"(?!(?:\s+about)?\s+(?:your|me|us|you|him|her|them|who|what|that|how|why|where|when)\b)"
            r"(?:\s+about)?"
            r"|note\s+to\s+self\s*:?|make\s+a\s+note\s+to|(?:i\s+(?:need|want|would\s+like)\s+a"
            r"|i[’']d\s+like\s+a|set\s+a|create\s+a|make\s+a)\s+reminder\s+(?:to|about))"
            rf"\s+{_TITLE}(?:\s+(?:on|to|in|onto)\s+{_LIST_REF})?$",
            # "I need to walk the dog, put that on my list", "gotta renew my license - add that
            # to my todos": the title is the earlier part.
            rf"^{_NEED_TO}\s+{_TITLE}\s*(?:[,.;:\-–—]\s*|\s+){_PUT_THAT_ON_THE_LIST}$",
            rf"^{_NOT_A_TITLE}{_TITLE}\s*[,.;:\-–—]\s*{_PUT_THAT_ON_THE_LIST}$",
            r"^(?:add|put(?:\s+down)?|jot\s+down|write\s+down|save|note(?:\s+down)?|log|record)"
            rf"\s+{_TITLE}\s+as\s+(?:a\s+|an\s+)?(?:new\s+)?(?:to-?do|task|reminder|item)$",
            r"^(?:add|put|place|stick|throw|write(?:\s+down)?|jot(?:\s+down)?|pop|append|include"
            rf"|save)\s+{_TITLE}\s+(?:to|on|onto|in|into)\s+{_LIST_REF}$",
            rf"^(?:add|put|write)\s+(?:to|on|onto|in)\s+{_LIST_REF}\s*[:,\-–]?\s+{_TITLE}$",
            rf"^(?:to|on|onto)\s+{_LIST_REF}\s*[:,]?\s+(?:please\s+)?(?:add|put|write)\s+{_TITLE}$",
            r"^(?:create|make|add|open|start|new|set\s+up|log|record)\s+(?:a\s+|an\s+|another\s+)?"
            r"(?:new\s+)?(?:to-?do|to\s+do|task|reminder|item|entry)(?:\s+item)?(?:\s+please)?"
            r"(?:\s*[:\-–]\s*|\s+(?:called|named|titled|saying|that\s+says|for|to|about"
            rf"|with\s+(?:the\s+)?title)\s+|\s+){_TITLE}$",
            rf"^(?:new\s+)?(?:to-?do|task|reminder)(?:\s+please)?\s*:\s*{_TITLE}$",
            rf"^(?:note|jot|write)(?:\s+(?:this|that|it))?\s+down\s*:\s*{_TITLE}$",
        ),
    )
)
"""Rules tried before arithmetic, in order; the first that matches wins."""

MANY_ADD_RULES: Final = TodoRuleTable(
    _rules(
        "add",
        r"^(?:(?:add|put|write(?:\s+down)?|jot(?:\s+down)?)\s+)?(?P<count>two|three|four|five|2|3|4"
        r"|5|these|the\s+following|a\s+few|some)\s+(?:(?:new|more)\s+)?(?:things|items|tasks|to-?dos"
        rf"|chores|errands|jobs)\s+(?:to|on|onto|in|into|for)\s+{_LIST_REF}\s*:\s*(?P<titles>.+)$",
        # "I need to renew my card and buy stamps; put both on my list"
        rf"^(?:{_NEED_TO}\s+|{_NOT_A_TITLE})(?P<titles>.+?)\s*[,.;:\-–—]\s*(?:so\s+|and\s+)?"
        r"(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?(?:put|add|note|write|jot|save|stick)\s+"
        r"(?P<count>both|them\s+both|all\s+three|all\s+four|all\s+of\s+them|them\s+all)\s+(?:down\s+)?"
        rf"(?:on|to|in|onto|into)\s+{_LIST_REF}$",
    )
)
"""Several titles after a colon ("put two things on my list: A, then B"): one add each."""

FALLBACK_ADD_RULES: Final = TodoRuleTable(
    _rules("add", rf"^(?:add|jot\s+down|write\s+down|note\s+down)\s+{_TITLE}$", strict_title=True)
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
    # "then add 5": a bare number is an operand, never a todo's whole title.
    return not strict or not (
        _ACTION_TAIL.search(title)
        or not _LETTER.search(title)
        or _THING_INTO_CONTAINER.search(title)
        or _SUM_PARTICLE.match(title)
    )


def _parse_id(part: str) -> int | None:
    if _PRONOUN_MATCH.match(part):
        return PREVIOUS_ID
    ordinal = _ORDINAL_MATCH.match(part)
    if ordinal is not None:
        word = ordinal.group("ordinal").lower()
        return _ORDINAL_IDS.get(word) or int(word[:-2]) or None  # "0th" names no todo
    return parse_number_words(_ID_PREFIX.sub("", part))


def parse_ids(raw: str) -> list[int] | None:
    """The ids in text that `ID_LIST` matched ("task 2 and the 4th one" -> [2, 4]).

    Returns:
        The ids in order (`PREVIOUS_ID` for a pronoun), or None when a part is no id.
    """
    ids = []
    for part in _ID_SPLIT.split(raw.strip()):
        value = _parse_id(part)
        if value is None:
            return None
        ids.append(value)
    return ids


_TITLE_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+|then\s+)?|;\s*|\s+and\s+then\s+|\s+then\s+)", re.I)
# "set task 3 to done" completes it; "rename task 3 to done" is still a rename.
_SET_TO_DONE = re.compile(
    r"^(?:set|mark|flag)\b.*\bto\s+(?:done|complete|completed|finished)$", re.I
)
_COUNTS = MappingProxyType(
    {
        "two": 2, "three": 3, "four": 4, "five": 5, "both": 2, "them both": 2,
        "all three": 3, "all four": 4,
    }
)  # fmt: skip


def _many_titles(count: str, raw: str) -> list[str] | None:
    """Titles listed after a colon: cut at commas and "then", "and" too when counted."""
    wanted = _COUNTS.get(count.lower()) or (int(count) if count.isdigit() else None)
    titles = [clean_title(t) for t in _TITLE_SPLIT.split(raw)]
    if wanted is not None and len(titles) != wanted:
        titles = [clean_title(t) for t in re.split(r"\s*(?:,|;|\band\b|\bthen\b)\s*", raw)]
        titles = [t for t in titles if t]
        if len(titles) != wanted:
            return None
    if len(titles) < 2 or not all(_acceptable_title(t, strict=False) for t in titles):
        return None
    return titles


_QUOTED = r"(?:\"[^\"]+\"|“[^”]+”|'[^']+'|‘[^’]+’)"
_QUOTED_LIST = re.compile(rf"^{_QUOTED}(?:\s*(?:,\s*(?:and\s+)?|&|\band\b)\s*{_QUOTED})+$", re.I)


def _quoted_titles(raw: str) -> list[str] | None:
    """Two or more quoted titles ("'fix the sink' and 'call the plumber'"): one add each."""
    if not _QUOTED_LIST.match(raw.strip()):
        return None
    titles = [t for group in re.findall(_QUOTED, raw) if (t := clean_title(group))]
    return titles if len(titles) >= 2 else None


def _titled_inputs(rule: TodoRule, raw: str) -> list[dict[str, JsonValue]] | str | None:
    """The adds of several quoted titles, else the one clean title (None: refused)."""
    if rule.action == "add" and (quoted := _quoted_titles(raw)):
        return [{"action": "add", "title": t} for t in quoted]
    title = clean_title(raw)
    return title if _acceptable_title(title, strict=rule.strict_title) else None


def _inputs(rule: TodoRule, m: re.Match[str]) -> list[dict[str, JsonValue]] | None:
    groups = m.groupdict()
    if groups.get("titles") is not None:
        titles = _many_titles(groups["count"], groups["titles"])
        return None if titles is None else [{"action": "add", "title": t} for t in titles]
    title = None
    if groups.get("title") is not None:
        titled = _titled_inputs(rule, groups["title"])
        if not isinstance(titled, str):
            return titled
        title = titled
    if groups.get("ids") is None:
        base: dict[str, JsonValue] = {"action": rule.action}
        return [base if title is None else {**base, "title": title}]
    ids = parse_ids(groups["ids"])
    if ids is None:
        return None
    if rule.action == "update" and title is not None and _SET_TO_DONE.match(m.string):
        return [{"action": "complete", "id": i} for i in ids]  # "set task 3 to done"
    return _id_inputs(rule.action, ids, title)


def _id_inputs(action: TodoAction, ids: list[int], title: str | None) -> list[dict[str, JsonValue]]:
    extra: dict[str, JsonValue] = {} if title is None else {"title": title}
    return [{"action": action, "id": i, **extra} for i in ids]


_ID_MENTION = re.compile(
    rf"\b(?:{_ORDINAL_ID}|(?:{_NOUN}\s+(?:(?:number|no\.?|num\.?)\s*|\#\s*)?|(?:number|\#)\s*)"
    rf"(?:\d+|{NUMBER_WORD_PATTERN}(?:[\s-]+{NUMBER_WORD_PATTERN})*))",
    re.I,
)


def mentioned_ids(text: str) -> list[int]:
    """Todo ids that `text` names ("todo 5", "task number two", "the third item"), in order."""
    ids = [_parse_id(m.group()) for m in _ID_MENTION.finditer(text)]
    return [i for i in ids if i is not None and i != PREVIOUS_ID]


def match_todo(clause: str, rules: TodoRuleTable) -> list[dict[str, JsonValue]] | None:
    """Match one clause against a rule table.

    Args:
        clause: One normalized clause (fillers and trailing "?" already removed).
        rules: `TODO_RULES` or `FALLBACK_ADD_RULES`.

    Returns:
        One `todo_store` input per step, or None when no rule serves the clause.
    """
    if rules.prefilter.rules_out(clause):
        return None
    for rule in rules:
        m = rule.pattern.match(clause)
        if m is not None and (inputs := _inputs(rule, m)) is not None:
            return inputs
    return None
