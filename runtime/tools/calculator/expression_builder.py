"""Build a clean Python arithmetic expression from normalized arithmetic words.

Input is text whose multi-word phrases were already folded into single tokens by
`arithmetic_text` ("divided by" -> "/", "half of" -> "half_of"). A small recursive-descent
parser then both checks the structure (operand, operator, operand ...) and writes the
expression the calculator tool reads, so that anything that is not arithmetic (a stray
word, code, an unbalanced parenthesis) yields None instead of a guess.

Grammar::

    expr    := operand (binop operand)*
    operand := ("-" | "+" | "neg") operand
             | prefix operand                  half_of 8 -> 8 / 2, double 4 -> 2 * 4
             | func "(" expr ("," expr)* ")"   max(3, 7)
             | func operand                    sqrt 16 -> sqrt(16)
             | number | const | "(" expr ")"
             followed by postfix*              squared, cubed, percent, doubled, halved

Spoken order is kept; Python's precedence then applies, as it does when people type
"2 + 3 * 4". Operands built from a spoken construct ("half of 8" -> "8 / 2") are
parenthesized only where a neighbouring operator would change their meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+|\*\*|//|[-+*/%(),]|[a-z_]+|\S)")

# Single words with an operator meaning; phrases were folded earlier.
_WORD_OPS = MappingProxyType(
    {
        "plus": "+", "add": "+", "minus": "-", "less": "-", "times": "*", "over": "/",
        "mod": "%", "modulo": "%", "modulus": "%", "x": "*",
    }
)  # fmt: skip
_BINOPS = frozenset({"+", "-", "*", "/", "//", "%", "**", "pct_of"})
_FUNCS = frozenset({"sqrt", "abs", "round", "min", "max"})
PREVIOUS_RESULT = "_prev_"
"""Stands for the result of the calculation before ("then multiply that by 6"); the
pattern planner substitutes it, and an expression still holding it is never run."""
_CONSTS = frozenset({"pi", "e", PREVIOUS_RESULT})
# prefix word -> template; the result binds like a multiplication
_PREFIX = MappingProxyType(
    {
        "half_of": "{} / 2",
        "third_of": "{} / 3",
        "quarter_of": "{} / 4",
        "halve": "{} / 2",
        "double": "2 * {}",
        "twice": "2 * {}",
        "triple": "3 * {}",
        "thrice": "3 * {}",
    }
)
_POSTFIX = MappingProxyType(
    {
        "squared": ("{} ** 2", "pow"),
        "cubed": ("{} ** 3", "pow"),
        "percent": ("{} / 100", "mul"),
        "doubled": ("{} * 2", "mul"),
        "tripled": ("{} * 3", "mul"),
        "halved": ("{} / 2", "mul"),
    }
)
_UNARY = frozenset({"-", "+", "neg"})

# Binding strength of an operand's outermost operator; atoms bind tightest.
_PREC = MappingProxyType({"mul": 2, "unary": 3, "pow": 4, "atom": 5})
_MAX_TOKENS = 200
_MAX_DEPTH = 30


@dataclass(frozen=True, slots=True)
class _Operand:
    text: str
    prec: int


class _NotArithmeticError(Exception):
    """The text is not arithmetic; caught inside this module only."""


def _paren(op: _Operand, at_least: int) -> str:
    return op.text if op.prec >= at_least else f"({op.text})"


class _Parser:
    """One parse: a token list and a cursor (state lives here, per call)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.has_operation = False

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else ""

    def take(self) -> str:
        tok = self.peek()
        if not tok:
            raise _NotArithmeticError
        self.pos += 1
        return tok

    def starts_operand(self, tok: str) -> bool:
        return bool(tok) and (
            tok[0].isdigit()
            or tok[0] == "."
            or tok in _CONSTS
            or tok in _FUNCS
            or tok in _PREFIX
            or tok in _UNARY
            or tok == "("
        )

    def expr(self) -> str:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _NotArithmeticError
        items = [self.operand()]
        ops: list[str] = []
        while (op := self.peek()) in _BINOPS:
            self.take()
            self.has_operation = True
            if op == "pct_of":
                ops += ["/", "*"]
                items.append(_Operand("100", _PREC["atom"]))
            else:
                ops.append(op)
            items.append(self.operand())
        self.depth -= 1
        parts = [self._place(items[0], "", ops[0] if ops else "")]
        for k, op in enumerate(ops, start=1):
            right = ops[k] if k < len(ops) else ""
            parts += [op, self._place(items[k], op, right)]
        return " ".join(parts)

    @staticmethod
    def _place(item: _Operand, left: str, right: str) -> str:
        """Parenthesize an operand where its neighbours would otherwise regroup it."""
        if item.prec == _PREC["mul"] and (left in ("/", "//", "%", "**") or right == "**"):
            return f"({item.text})"
        if item.prec == _PREC["pow"] and "**" in (left, right):
            return f"({item.text})"
        return item.text

    def operand(self) -> _Operand:
        tok = self.take()
        if tok in _UNARY:
            inner = self.operand()
            if tok == "+":
                return inner
            return _Operand(f"-{_paren(inner, _PREC['unary'])}", _PREC["unary"])
        if tok in _PREFIX:
            self.has_operation = True
            inner = self.operand()
            return _Operand(_PREFIX[tok].format(_paren(inner, _PREC["unary"])), _PREC["mul"])
        if tok in _FUNCS:
            self.has_operation = True
            result = _Operand(f"{tok}({self._arguments()})", _PREC["atom"])
        elif tok[0].isdigit() or tok[0] == "." or tok in _CONSTS:
            result = _Operand(tok, _PREC["atom"])
        elif tok == "(":
            inner_text = self.expr()
            if self.take() != ")":
                raise _NotArithmeticError
            result = _Operand(f"({inner_text})", _PREC["atom"])
        else:
            raise _NotArithmeticError
        return self._postfix(result)

    def _arguments(self) -> str:
        if self.peek() != "(":
            return self.operand().text  # spoken: "square root of 16"
        self.take()
        args = [self.expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.expr())
        if self.take() != ")":
            raise _NotArithmeticError
        return ", ".join(args)

    def _postfix(self, result: _Operand) -> _Operand:
        while True:
            tok = self.peek()
            if tok == "%" and not self.starts_operand(self.peek(1)):
                tok = "percent"  # "50 + 10%": a percentage, not modulo
            if tok not in _POSTFIX:
                return result
            self.take()
            self.has_operation = True
            template, prec = _POSTFIX[tok]
            needs = _PREC["atom"] if prec == "pow" else _PREC["unary"]
            result = _Operand(template.format(_paren(result, needs)), _PREC[prec])


def tokenize(text: str) -> list[str]:
    """Split normalized arithmetic text into tokens, mapping operator words to symbols."""
    return [_WORD_OPS.get(t, t) for t in _TOKEN.findall(text)]


def build_expression(text: str) -> str | None:
    """Write normalized arithmetic text as a Python expression.

    Args:
        text: Lower-case text with phrases folded, e.g. "15 pct_of 80", "sqrt 16 plus 2".

    Returns:
        The expression ("15 / 100 * 80", "sqrt(16) + 2"), or None when the text is not
        well-formed arithmetic or performs no operation at all (a bare number is not a
        calculation).
    """
    tokens = tokenize(text)
    if not tokens or len(tokens) > _MAX_TOKENS:
        return None
    parser = _Parser(tokens)
    try:
        expression = parser.expr()
    except _NotArithmeticError:
        return None
    if parser.pos != len(tokens) or not parser.has_operation:
        return None
    return expression
