"""Number formats: small numbers as words, thousands with or without separators.

`12` becomes `twelve`, `4500` becomes `4,500` and `4,500` becomes `4500`. A number the
plan quotes inside a todo title, a decimal, a percentage, a `#3`, and a number written
against an operator (`2^8`, `7**7`) are left as they are, and in a formula (`15 + 27`)
small numbers stay digits: only numbers a user could write either way are rewritten.
Abbreviations like `1k` are not produced: the calculator does not accept them, so
whether a planner should expand them is a separate question.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.evals.perturbations.registry import PerturbContext, perturbation

_UNITS: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS: Final = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_MAX_WORDS: Final = 99
_TEEN_LIMIT: Final = 20
_THOUSAND: Final = 1000
# An integer (optionally with thousands separators) standing alone: not part of a word, a
# decimal, an id written `#3`, a percentage, or a run of operator characters.
_NUMBER: Final = re.compile(r"(?<![\w.,#^*/+%×÷=-])(\d{1,3}(?:,\d{3})+|\d+)(?![\w%^*/×÷=]|[.,]\d)")


def number_in_words(value: int) -> str:
    """English words for 0..99 ("forty-two")."""
    if not 0 <= value <= _MAX_WORDS:
        raise ValueError(f"{value} is outside 0..{_MAX_WORDS}")
    if value < _TEEN_LIMIT:
        return _UNITS[value]
    tens, units = divmod(value, 10)
    return _TENS[tens - 2] + (f"-{_UNITS[units]}" if units else "")


_FORMULA: Final = re.compile(r"\d\s*[-+*/^×÷=]|[-+*/^×÷=]\s*\d")
"""A number written against an operator sign: a formula, whose numbers stay digits."""


def _reformat(number: str, *, words: bool) -> str | None:
    if "," in number:
        return number.replace(",", "")
    if number.startswith("0") and number != "0":  # "007" is a code, not a quantity
        return None
    value = int(number)
    if value <= _MAX_WORDS:
        return number_in_words(value) if words else None
    return f"{value:,}" if value >= _THOUSAND else None


@perturbation("number_format")
def number_format(prompt: str, context: PerturbContext) -> str | None:
    """Write each standalone number the other way (digits and words, separators)."""
    changed = False
    words = not _FORMULA.search(prompt)

    def rewrite(match: re.Match[str]) -> str:
        nonlocal changed
        number = match.group(1)
        if number in context.protected or number.replace(",", "") in context.protected:
            return number
        new = _reformat(number, words=words)
        if new is None:
            return number
        changed = True
        return new

    text = _NUMBER.sub(rewrite, prompt)
    return text if changed else None
