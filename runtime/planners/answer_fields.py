"""The answer fields of the built-in tools, with their grammar fragments.

The calculator declares `expression`, the todo store `id` and `title`
(`ToolDeclaration.answer_fields`); the decomposed planner's grammar (`grammars`) takes
each field's fragment from the declaration, whatever tool uses it:

- **expression**: arithmetic only: `+ - * / // % **`, parentheses and the calculator's
  functions (`sqrt abs round min max`), over the numbers the clause names (digits,
  number words, "1,250" as 1250) and a few constants ("half" is `/ 2`, "percent" is
  `/ 100`); no names, and no number the user did not give.
- **id**: one of the integers written in the clause (digits, or number words read by
  `number_words`). A clause with no number cannot be given an id label, so "delete all
  my todos" can only be answered with a tool that needs none, or `no`.
- **title**: a run of the clause's own words, copied verbatim (`copy_titles`), so that
  text the user asks to store is never rewritten; or a bounded single line.
"""

from __future__ import annotations

from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.gbnf import gbnf_literal, named_numbers
from crane_bench.runtime.tools.plugin import AnswerField, FieldContext

MAX_TITLE_CHARS: Final = 120
MAX_TITLE_WORDS: Final = 80
MAX_OPERATORS: Final = 8
CONSTANTS: Final = ("1", "2", "3", "10", "12", "60", "100", "1000")
"""Operands any expression may use besides the clause's own numbers: what "half",
"squared", "a dozen", "percent" or "hours in minutes" stand for."""

ID_PREFIX: Final = "Id: "
TITLE_PREFIX: Final = "Title: "
EXPRESSION_PREFIX: Final = "Expression: "

_QUOTES: Final = "\"'`“”‘’"
_CLOSERS: Final = _QUOTES + ".,;:!?"

# Arithmetic only, over the numbers the clause names (`clause_numbers`), so a small
# model can neither invent operands nor spin out digits. × ÷ − may be copied as typed:
# the calculator reads them. Spaces are optional around an
# operator only, which keeps few parse states alive at once: llama.cpp checks every
# vocabulary token against each of them at every step.
_EXPRESSION_RULES: Final = f"""
expr ::= operand (ws binop ws operand){{0,{MAX_OPERATORS}}}
operand ::= "-"? atom
atom ::= number | "(" expr ")" | func "(" expr (", " expr){{0,3}} ")" | "pi"
func ::= "sqrt" | "abs" | "round" | "min" | "max"
binop ::= "+" | "-" | "*" | "/" | "**" | "//" | "%" | "×" | "÷" | "−"
ws ::= " "?
""".strip()

_FREE_TITLE_RULE: Final = f"title ::= [^\\n\\r]{{1,{MAX_TITLE_CHARS}}}"


def clause_numbers(clause: str) -> list[str]:
    """The operands an expression for `clause` may use: its own numbers and `CONSTANTS`."""
    named = named_numbers(clause)
    return named + [constant for constant in CONSTANTS if constant not in named]


def _expression_rules(context: FieldContext) -> list[str]:
    ordered = sorted(clause_numbers(context.clause), key=len, reverse=True)
    return [_EXPRESSION_RULES, "number ::= " + " | ".join(gbnf_literal(n) for n in ordered)]


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


EXPRESSION_FIELD: Final = AnswerField(
    name="expression", prefix=EXPRESSION_PREFIX, symbol="expr", rules=_expression_rules
)
"""The calculator's expression."""

ID_FIELD: Final = AnswerField(
    name="id", prefix=ID_PREFIX, symbol="id", rules=_id_rules, parse=_parse_id, needs_ids=True
)
"""A todo's id: one the clause names."""

TITLE_FIELD: Final = AnswerField(
    name="title", prefix=TITLE_PREFIX, symbol="title", rules=_title_rules, write=_write_title
)
"""A todo's title: copied from the clause."""
