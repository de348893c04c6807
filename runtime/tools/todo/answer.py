"""The todo store's answer fields for the model, `id` and `title`, with their fragments.

- **id**: one of the integers written in the clause (digits, or number words read by
  `number_words`). A clause with no number cannot be given an id label, so "delete all
  my todos" can only be answered with a tool that needs none, or `no`.
- **title**: a run of the clause's own words, copied verbatim (`copy_titles`), so that
  text the user asks to store is never rewritten; or a bounded single line.
"""

from __future__ import annotations

from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.gbnf import gbnf_literal
from crane_bench.runtime.tools.plugin import AnswerField, FieldContext

MAX_TITLE_CHARS: Final = 120
MAX_TITLE_WORDS: Final = 80

ID_PREFIX: Final = "Id: "
TITLE_PREFIX: Final = "Title: "

_QUOTES: Final = "\"'`“”‘’"
_CLOSERS: Final = _QUOTES + ".,;:!?"

_FREE_TITLE_RULE: Final = f"title ::= [^\\n\\r]{{1,{MAX_TITLE_CHARS}}}"


def _id_rules(context: FieldContext) -> list[str]:
    return ["id ::= " + " | ".join(gbnf_literal(str(value)) for value in context.ids)]


def _endings(word: str) -> list[str]:
    """A word as the last of a title: as typed, or without a closing quote or stop."""
    forms = (word, word.rstrip(_QUOTES), word.rstrip(_CLOSERS))
    return [gbnf_literal(form) for form in dict.fromkeys(form for form in forms if form)]


def _title_rules(context: FieldContext) -> list[str]:
    words = context.clause.split()[:MAX_TITLE_WORDS]
    if not context.copy_titles or not words:
        return [_FREE_TITLE_RULE]
    # start-i: a title that starts at word i; rest-j: its words from j on. The first word
    # may shed an opening quote and the last a closing quote or stop ("'pay rent'." may
    # be copied as pay rent); words in between are copied exactly.
    last = len(words) - 1
    starts, rules = [], []
    for i, word in enumerate(words):
        alternatives = []
        for opened in dict.fromkeys(form for form in (word, word.lstrip(_QUOTES)) if form):
            alternatives += _endings(opened)
            if i < last:
                alternatives.append(f"{gbnf_literal(opened + ' ')} rest{i + 1}")
        rules.append(f"start{i} ::= " + " | ".join(dict.fromkeys(alternatives)))
        starts.append(f"start{i}")
        if i > 0:
            rest = _endings(word)
            if i < last:
                rest.append(f"{gbnf_literal(word + ' ')} rest{i + 1}")
            rules.append(f"rest{i} ::= " + " | ".join(rest))
    return ["title ::= " + " | ".join(starts), *rules]


def _parse_id(text: str) -> JsonValue:
    return int(text)


def _write_title(value: JsonValue) -> str:
    return " ".join(str(value).split())


ID_FIELD: Final = AnswerField(
    name="id", prefix=ID_PREFIX, symbol="id", rules=_id_rules, parse=_parse_id, needs_ids=True
)
"""A todo's id: one the clause names."""

TITLE_FIELD: Final = AnswerField(
    name="title", prefix=TITLE_PREFIX, symbol="title", rules=_title_rules, write=_write_title
)
"""A todo's title: copied from the clause."""
