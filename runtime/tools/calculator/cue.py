"""The calculator's cue: a number *with an operation on it*, read from the text's structure.

An operator sign between two operands ("3*4", "12 / 5"), or an operation word within a
few words of a number ("nine times eleven", "the square root of 361", "15% of 80",
"double 35"). A number or an operation word alone ("what percent of the earth is water")
is no cue. The vocabulary comes from the tool's own description and the example bank's
labels, never from the evaluation suite.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.tools.calculator.arithmetic_text import spoken_to_expression

_I = re.IGNORECASE
_WINDOW: Final = 3
"""An operation word counts when a number is at most this many words away."""

# An operator sign with an operand on each side: "3*4", "12 / 5", "(2+3)", "2^10", "7 x 8".
_BINARY_SIGN: Final = re.compile(
    r"[\d)]\s*(?:\*\*|[-+*/^×÷−]|\bx\b)\s*[-(\d.]|[\d)]\s*x\s*\d|\d\s*%\s*(?:of|off)\b", _I
)
# A number glued to letters ("4G", "3D", "2nd") is a name, not an operand.
_TOKEN: Final = re.compile(r"\d+(?:[.,]\d+)*[a-z]*|[a-z_]+(?:['’][a-z]+)?", _I)
# Words that name an operation (stems, so "multiplication" and "divides" count too).
_OPERATION_WORD: Final = re.compile(
    r"(?:plus|minus|times|multipl\w*|divid\w*|division|divisible|add(?:s|ed|ing|ition)?"
    r"|subtract\w*|sum|total|difference|product|quotient|squared?|cubed?|roots?|sqrt|powers?"
    r"|exponent\w*|half"
    r"|halve[ds]?|double[ds]?|triple[ds]?|twice|thrice|average|mean|calculat\w*|comput\w*"
    r"|evaluat\w*|solve|math\w*|arithmetic|increase[ds]?|decrease[ds]?|split|remainder"
    r"|mod(?:ulo)?|factorial|more_than|less_than|fewer_than)",
    _I,
)
_COMPARATIVE: Final = re.compile(r"\b(more|less|fewer)\s+than\b", _I)
# "percent" is an operation only with an operand after it: "15 percent of 80".
_PERCENT_OPERAND: Final = re.compile(r"(?:percent(?:age)?|per\s+cent)\s+(?:of|off)\b", _I)


def _words(text: str) -> list[str]:
    joined = _COMPARATIVE.sub(r"\1_than", replace_number_words(text))  # "5 more than 12"
    return [t.lower() for t in _TOKEN.findall(joined)]


def has_arithmetic_signal(text: str) -> bool:
    """True when `text` names a number with an operation on it (a sign or a word).

    Whatever the arithmetic reader reads as a calculation ("take away 45 from 120", "how
    many 7s fit in 84") is a signal too, so the two never disagree.
    """
    folded = replace_number_words(text)
    if _BINARY_SIGN.search(folded) or (_PERCENT_OPERAND.search(folded) and _has_number(folded)):
        return True
    if spoken_to_expression(text) is not None:
        return True
    words = _words(text)
    numbers = [i for i, w in enumerate(words) if w[0].isdigit() and not w[-1].isalpha()]
    operations = [i for i, w in enumerate(words) if _OPERATION_WORD.fullmatch(w)]
    return any(abs(i - j) <= _WINDOW for i in numbers for j in operations)


def _has_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text)
