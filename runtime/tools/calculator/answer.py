"""The calculator's answer field for the model, `expression`, with its grammar fragment.

Arithmetic only: `+ - * / // % **`, parentheses and the calculator's functions
(`sqrt abs round min max`), over the numbers the clause names (digits, number words,
"1,250" as 1250) and a few constants ("half" is `/ 2`, "percent" is `/ 100`); no
names, and no number the user did not give.
"""

from __future__ import annotations

from typing import Final

from crane_bench.runtime.planners.gbnf import gbnf_literal, named_numbers
from crane_bench.runtime.tools.plugin import AnswerField, FieldContext

MAX_OPERATORS: Final = 8
CONSTANTS: Final = ("1", "2", "3", "10", "12", "60", "100", "1000")
"""Operands any expression may use besides the clause's own numbers: what "half",
"squared", "a dozen", "percent" or "hours in minutes" stand for."""

EXPRESSION_PREFIX: Final = "Expression: "

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


def clause_numbers(clause: str) -> list[str]:
    """The operands an expression for `clause` may use: its own numbers and `CONSTANTS`."""
    named = named_numbers(clause)
    return named + [constant for constant in CONSTANTS if constant not in named]


def _expression_rules(context: FieldContext) -> list[str]:
    ordered = sorted(clause_numbers(context.clause), key=len, reverse=True)
    return [_EXPRESSION_RULES, "number ::= " + " | ".join(gbnf_literal(n) for n in ordered)]


EXPRESSION_FIELD: Final = AnswerField(
    name="expression", prefix=EXPRESSION_PREFIX, symbol="expr", rules=_expression_rules
)
"""The calculator's expression."""
