"""The pattern planner's reader of a conversion: one clause to one converter input.

Two shapes, read whole (the clause is the conversion and nothing else):

- "[convert|change|turn|express|what is] <value> <unit> to|into|in|as <unit>":
  "convert 5 km to miles", "what is 30 C in fahrenheit", "10 miles in kilometers";
- "how many <unit> [are|is] [there] in|is <value> <unit>": "how many ounces in 2 kg",
  "how many grams in a pound" ("a", "an", "one" are 1).

Numbers may be words ("three miles") or carry thousands separators ("1,500"). A clause
that only mentions a unit ("I ran 5 km today", "how many miles is it from Paris to
Berlin") is not read: there is no value to convert, or no unit to convert it to.
Units of two kinds are read as written: the tool refuses them when the step runs.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.tools.units.words import SHORT_PATTERN, symbol_of

_I = re.IGNORECASE
_VALUE: Final = r"(?P<value>-?\d+(?:\.\d+)?|an?|one)"
_QUANTITY: Final = rf"{_VALUE}\s*(?:degrees?\s+)?(?P<source>{SHORT_PATTERN})"
_TARGET: Final = rf"(?:degrees?\s+)?(?P<target>{SHORT_PATTERN})"
_LEAD: Final = (
    r"(?:(?:convert|change|turn|switch|express|translate)\s+"
    r"|(?:what(?:['’]s|\s+is|\s+are)|how\s+much\s+is)\s+)?"
)
_END: Final = r"\s*[?.!]*\s*$"
_CONVERT: Final = re.compile(rf"^{_LEAD}{_QUANTITY}\s+(?:to|into|in|as)\s+{_TARGET}{_END}", _I)
_HOW_MANY: Final = re.compile(
    rf"^how\s+many\s+{_TARGET}\s+(?:(?:are|is)\s+)?(?:there\s+)?(?:in|is|are)\s+{_QUANTITY}{_END}",
    _I,
)
_THOUSANDS: Final = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _number(text: str) -> JsonValue:
    if text.lower() in ("a", "an", "one"):
        return 1
    value = float(text)
    return int(value) if value.is_integer() else value


def read_conversion(clause: str) -> list[dict[str, JsonValue]] | None:
    """The converter's input for a clause that asks for one conversion, or None."""
    text = _THOUSANDS.sub("", replace_number_words(clause.strip()))
    match = _CONVERT.match(text) or _HOW_MANY.match(text)
    if match is None:
        return None
    conversion: dict[str, JsonValue] = {
        "value": _number(match.group("value")),
        "from_unit": symbol_of(match.group("source")),
        "to_unit": symbol_of(match.group("target")),
    }
    return [conversion]
