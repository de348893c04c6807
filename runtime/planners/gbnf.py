"""Tool-neutral pieces of the model's answer grammars: literals and what a clause names.

An answer field's grammar fragment (`tools.plugin.AnswerField`) is built from these:
`gbnf_literal` writes a GBNF string, `clause_ids` and `named_numbers` read the numbers a
clause names (digits, number words, ordinals, "1,250" as 1250), so that a fragment can
allow exactly those and the model cannot invent one.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.runtime.planners.number_words import replace_number_words

MAX_ID_DIGITS: Final = 9

_INTEGER: Final = re.compile(r"(?<![\w.])-?\d+(?![\d.]\d)")
_NUMBER: Final = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]\d)|\d+(?:\.\d+)?")
_ORDINAL_WORDS: Final = (
    ("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("fifth", 5),
    ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9), ("tenth", 10),
)  # fmt: skip
_ORDINALS: Final = dict(_ORDINAL_WORDS)
_ORDINAL: Final = re.compile(rf"\b(?:{'|'.join(_ORDINALS)})\b", re.IGNORECASE)
_GBNF_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def gbnf_literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    return '"' + "".join(_GBNF_ESCAPES.get(char, char) for char in text) + '"'


def clause_ids(clause: str) -> list[int]:
    """The integers a clause names, in order and without repeats.

    Digits, number words and ordinals count: "task two" and "the second task" give [2].
    """
    found: list[int] = []
    for text in (clause, replace_number_words(clause)):
        for match in _INTEGER.finditer(text):
            value = int(match.group())
            if value not in found and len(match.group().lstrip("-")) <= MAX_ID_DIGITS:
                found.append(value)
    for match in _ORDINAL.finditer(clause):
        value = _ORDINALS[match.group().lower()]
        if value not in found:
            found.append(value)
    return found


def named_numbers(clause: str) -> list[str]:
    """The numbers a clause names, as an expression writes them ("1,250" -> "1250").

    Number words count: "twelve" gives "12".
    """
    found: list[str] = []
    for text in (clause, replace_number_words(clause)):
        for match in _NUMBER.finditer(text):
            number = match.group().replace(",", "")
            if number not in found:
                found.append(number)
    return found
