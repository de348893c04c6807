"""The unit converter's cue: a quantity in one unit and a second unit to express it in.

Two different units and an amount ("5 km ... miles", "ounces in 2 kg", "grams in a
pound"), or whatever the reader reads. One unit alone is no cue: "I ran 5 km today"
and "how tall is Everest in meters" name a unit but ask for no conversion. The
vocabulary is the tool's unit table (`words`), never the evaluation suite's.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.tools.units.rules import read_conversion
from crane_bench.runtime.tools.units.words import mentioned_units

_AMOUNT: Final = re.compile(r"\d|\b(?:an?|one)\b", re.IGNORECASE)


def has_units_signal(text: str) -> bool:
    """True when `text` names an amount and two different units (or reads as a conversion)."""
    if read_conversion(text) is not None:
        return True
    folded = replace_number_words(text)
    return len(mentioned_units(folded)) >= 2 and bool(_AMOUNT.search(folded))
