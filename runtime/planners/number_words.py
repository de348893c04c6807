"""English number words to digits: "twenty five" -> 25, "a hundred" -> 100.

The parser reads a run of number words left to right with the usual accumulator
(`current` below a thousand, `total` above it). A word that cannot continue the number
read so far ends it and starts the next one, so "one two" becomes "1 2" rather than a
wrong 3. Ordinals ("third") are left alone on purpose: "a third of" is a fraction, and
the arithmetic rules give it that meaning.
"""

from __future__ import annotations

import re
from types import MappingProxyType

_UNITS = MappingProxyType(
    {
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
        "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
        "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
        "eighteen": 18, "nineteen": 19,
    }
)  # fmt: skip
_TENS = MappingProxyType(
    {
        "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
        "seventy": 70, "eighty": 80, "ninety": 90,
    }
)  # fmt: skip
_HUNDRED = 100
_SCALES = MappingProxyType({"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000})
_DOZEN = 12

_WORDS = (*_UNITS, *_TENS, "hundred", *_SCALES, "dozen")
_WORD_ALT = "|".join(sorted(_WORDS, key=len, reverse=True))
NUMBER_WORD_PATTERN = rf"(?:{_WORD_ALT})"
"""Regex source matching one number word (for rules that accept "task three")."""
_DIGIT_ALT = "|".join(w for w, v in _UNITS.items() if v < 10)
# A run: number words joined by spaces or hyphens, with "and" and "point" allowed inside
# and "a" allowed in front of a scale word ("a hundred", "a dozen").
_RUN = re.compile(
    rf"(?:\ba\s+(?=(?:hundred|thousand|million|billion|dozen)\b)|\bpoint\s+(?={_DIGIT_ALT}))?"
    rf"\b(?:{_WORD_ALT})\b(?:(?:\s+|-)(?:(?:and|point)\s+)?(?:{_WORD_ALT})\b)*",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"[\s-]+")


def _parse_run(words: list[str]) -> list[str]:
    """Turn one run of number words into one or more numerals (as text).

    Args:
        words: Lower-case words of the run, in order.

    Returns:
        The numerals read, plus any words that could not join a number ("and" between
        two numbers, as in "one and two"), in their original order.
    """
    out: list[str] = []
    total = current = 0
    last = ""  # kind of the last number word; "" when no number is being read
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        nxt = _kind(words[i + 1]) if i + 1 < n else ""
        if word == "a" and nxt in ("hundred", "scale", "dozen"):
            word = "one"
        if word == "point" and nxt == "unit":
            decimals = ""
            i += 1
            while i < n and _kind(words[i]) == "unit":
                decimals += str(_UNITS[words[i]])
                i += 1
            out.append(f"{total + current}.{decimals}")
            total = current = 0
            last = ""
            continue
        kind = _kind(word)
        if kind == "":
            # "and" continues a number only in "a hundred and five", "a thousand and one".
            if not (word == "and" and last in ("hundred", "scale") and nxt in _SMALL):
                if last:
                    out.append(str(total + current))
                    total = current = 0
                    last = ""
                out.append(word)
            i += 1
            continue
        if last and kind not in _FOLLOWS[last]:
            out.append(str(total + current))
            total = current = 0
        total, current = _accumulate(total, current, kind, word)
        last = kind
        i += 1
    if last:
        out.append(str(total + current))
    return out


def _accumulate(total: int, current: int, kind: str, word: str) -> tuple[int, int]:
    """Add one number word to the (total, current) accumulator."""
    if kind in _SMALL:
        return total, current + _UNITS.get(word, 0) + _TENS.get(word, 0)
    if kind == "hundred":
        return total, (current or 1) * _HUNDRED
    if kind == "dozen":
        return total, (current or 1) * _DOZEN
    return total + (current or 1) * _SCALES[word], 0


def _kind(word: str) -> str:
    """Kind of a number word: unit (0-9), teen (10-19), tens, hundred, dozen, scale, or ""."""
    if word in _UNITS:
        return "unit" if _UNITS[word] < 10 else "teen"
    if word in _TENS:
        return "tens"
    if word in ("hundred", "dozen"):
        return word
    return "scale" if word in _SCALES else ""


_SMALL = frozenset({"unit", "teen", "tens"})
# Which word kinds may follow which inside one number.
_FOLLOWS = MappingProxyType(
    {
        "unit": frozenset({"hundred", "scale", "dozen"}),
        "teen": frozenset({"hundred", "scale", "dozen"}),
        "tens": frozenset({"unit", "hundred", "scale", "dozen"}),
        "hundred": frozenset({"unit", "teen", "tens", "scale"}),
        "scale": frozenset({"unit", "teen", "tens", "hundred"}),
        "dozen": frozenset(),
    }
)


def replace_number_words(text: str) -> str:
    """Replace every run of English number words in `text` by digits.

    Args:
        text: Any text; words other than number words are kept as they are.

    Returns:
        The text with numbers as numerals, e.g. "twenty five plus a hundred" ->
        "25 plus 100", "three point five" -> "3.5", "one thousand two hundred" -> "1200".
    """

    def sub(m: re.Match[str]) -> str:
        return " ".join(_parse_run(_SPLIT.split(m.group(0).lower())))

    return _RUN.sub(sub, text)


def parse_number_words(text: str) -> int | None:
    """Read `text` as one whole number, written in digits or words.

    Args:
        text: "3", "#3", "three", "twenty one".

    Returns:
        The number, or None when the text is not exactly one whole number.
    """
    text = text.strip().lstrip("#").strip()
    if text.isdigit():
        return int(text)
    parts = replace_number_words(text).split()
    if len(parts) == 1 and parts[0].isdigit():
        return int(parts[0])
    return None
