"""The converter's answer fields for the model, with their grammar fragments.

A conversion answer reads::

    yes
    unit_convert
    Value: 5
    From: km
    To: mi

- **value** (`units-value`): one of the numbers the clause names (digits, number
  words, "1,500" as 1500), or 1 (for "a pound"), optionally negative; no other number.
- **from_unit** (`units-from`): a unit the clause gives an amount in ("20 meters", "a
  pound"); **to_unit** (`units-to`): another unit the clause names. When the clause
  does not say, any unit (the tool refuses what does not convert).
"""

from __future__ import annotations

from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.gbnf import gbnf_literal, named_numbers
from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.tools.plugin import AnswerField, FieldContext
from crane_bench.runtime.tools.units.tool import UNITS
from crane_bench.runtime.tools.units.words import amount_units, mentioned_units

_ONE: Final = "1"
"""The value of "a pound", "an inch"."""


def _value_rules(context: FieldContext) -> list[str]:
    numbers = [*named_numbers(context.clause)]
    numbers += [_ONE] if _ONE not in numbers else []
    ordered = sorted(numbers, key=len, reverse=True)
    return [f'units-value ::= "-"? ({" | ".join(gbnf_literal(n) for n in ordered)})']


def _alternatives(units: list[str]) -> str:
    return " | ".join(gbnf_literal(unit) for unit in (units or UNITS))


def _from_rules(context: FieldContext) -> list[str]:
    return [f"units-from ::= {_alternatives(amount_units(replace_number_words(context.clause)))}"]


def _to_rules(context: FieldContext) -> list[str]:
    text = replace_number_words(context.clause)
    sources = amount_units(text)
    targets = [unit for unit in mentioned_units(text) if unit not in sources]
    return [f"units-to ::= {_alternatives(targets or mentioned_units(text))}"]


def parse_value(text: str) -> JsonValue:
    """An answer's value: an int when whole ("5"), else a float ("2.5").

    Raises:
        ValueError: The text is not a number.
    """
    value = float(text)
    return int(value) if value.is_integer() else value


def write_value(value: JsonValue) -> str:
    """A value as an answer writes it: 5 as "5", 2.5 as "2.5"."""
    number = float(value) if isinstance(value, int | float | str) else float("nan")
    return str(int(number)) if number.is_integer() else repr(number)


VALUE_FIELD: Final = AnswerField(
    name="value",
    prefix="Value: ",
    symbol="units-value",
    rules=_value_rules,
    parse=parse_value,
    write=write_value,
)
FROM_FIELD: Final = AnswerField(
    name="from_unit", prefix="From: ", symbol="units-from", rules=_from_rules
)
TO_FIELD: Final = AnswerField(name="to_unit", prefix="To: ", symbol="units-to", rules=_to_rules)
