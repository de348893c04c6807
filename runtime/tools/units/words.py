"""How a text names the converter's units: words, plurals, abbreviations, to symbols.

`UNIT_PATTERN` matches a unit as written ("kilometres", "km", "fl oz", "degrees
Fahrenheit", "°C"); `symbol_of` gives its symbol. Single letters and "in" name a unit
only right after a number ("30 C", "5 m", "12 in to cm"), where they cannot be a word;
the pattern for that is `SHORT_PATTERN`. The vocabulary is the tool's own unit table,
never the evaluation suite's prompts.
"""

from __future__ import annotations

import re
from typing import Final

# Every way a unit is written, longest first within a unit; plurals are listed.
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "mm": ("millimeters", "millimeter", "millimetres", "millimetre", "mm"),
    "cm": ("centimeters", "centimeter", "centimetres", "centimetre", "cm"),
    "m": ("meters", "meter", "metres", "metre"),
    "km": ("kilometers", "kilometer", "kilometres", "kilometre", "kms", "km"),
    "in": ("inches", "inch"),
    "ft": ("feet", "foot", "ft"),
    "yd": ("yards", "yard", "yds", "yd"),
    "mi": ("miles", "mile", "mi"),
    "mg": ("milligrams", "milligram", "mg"),
    "g": ("grams", "gram", "gr"),
    "kg": ("kilograms", "kilogram", "kilos", "kilo", "kgs", "kg"),
    "t": ("metric tons", "metric ton", "tonnes", "tonne"),
    "oz": ("ounces", "ounce", "oz"),
    "lb": ("pounds", "pound", "lbs", "lb"),
    "C": ("degrees celsius", "degree celsius", "celsius", "centigrade", "°c"),
    "F": ("degrees fahrenheit", "degree fahrenheit", "fahrenheit", "°f"),
    "K": ("kelvins", "kelvin"),
    "ml": ("milliliters", "milliliter", "millilitres", "millilitre", "ml"),
    "l": ("liters", "liter", "litres", "litre"),
    "tsp": ("teaspoons", "teaspoon", "tsp"),
    "tbsp": ("tablespoons", "tablespoon", "tbsp"),
    "floz": ("fluid ounces", "fluid ounce", "fl oz", "floz"),
    "cup": ("cups", "cup"),
    "pt": ("pints", "pint", "pt"),
    "qt": ("quarts", "quart", "qt"),
    "gal": ("gallons", "gallon", "gal"),
}
# Written only right after a number: alone they are words or letters ("in", "a", "m").
_SHORT: Final[dict[str, str]] = {"m": "m", "in": "in", "g": "g", "t": "t", "l": "l"}
_SHORT.update({"c": "C", "f": "F", "k": "K"})

_BY_ALIAS: Final = {alias: unit for unit, aliases in _ALIASES.items() for alias in aliases}
_BY_ALIAS_AND_SHORT: Final = {**_BY_ALIAS, **_SHORT}


def _alternation(aliases: list[str]) -> str:
    ordered = sorted(aliases, key=len, reverse=True)  # "fluid ounces" before "ounces"
    return "|".join(re.escape(alias).replace(r"\ ", r"\s+") for alias in ordered)


UNIT_PATTERN: Final = rf"(?:{_alternation(list(_BY_ALIAS))})(?![\w°])"
"""A unit written as a word or a multi-letter abbreviation."""

SHORT_PATTERN: Final = rf"(?:{_alternation(list(_BY_ALIAS_AND_SHORT))})(?![\w°])"
"""A unit right after a number: the words, and the single letters and `in` too."""

_UNIT: Final = re.compile(rf"(?<![\w°]){UNIT_PATTERN}", re.IGNORECASE)
_NUMBER_UNIT: Final = re.compile(
    rf"(?<![\w.])-?\d+(?:\.\d+)?\s*(?:degrees?\s+)?(?P<unit>{SHORT_PATTERN})", re.IGNORECASE
)
_ARTICLE_UNIT: Final = re.compile(rf"\b(?:an?|one)\s+(?P<unit>{UNIT_PATTERN})", re.IGNORECASE)
# "98.6 F to C": a single letter closing the text after "to" is the target unit.
_FINAL_TARGET: Final = re.compile(
    rf"\b(?:to|into|in)\s+(?:degrees?\s+)?(?P<unit>{SHORT_PATTERN})\W*$", re.IGNORECASE
)


def symbol_of(written: str) -> str:
    """The symbol of a unit as written ("Kilometres" -> "km", "c" -> "C").

    Raises:
        KeyError: The text names no unit.
    """
    return _BY_ALIAS_AND_SHORT[" ".join(written.lower().split())]


def mentioned_units(text: str) -> list[str]:
    """The units a text names, as symbols, in order and without repeats.

    Words and abbreviations anywhere; single letters and "in" after a number, or
    closing the text after "to" ("98.6 F to C").
    """
    found: list[tuple[int, str]] = [(m.start(), symbol_of(m.group())) for m in _UNIT.finditer(text)]
    found += [(m.start("unit"), symbol_of(m.group("unit"))) for m in _NUMBER_UNIT.finditer(text)]
    if final := _FINAL_TARGET.search(text):
        found.append((final.start("unit"), symbol_of(final.group("unit"))))
    return list(dict.fromkeys(symbol for _, symbol in sorted(found)))


def amount_units(text: str) -> list[str]:
    """The units an amount is given in: right after a number, or "a"/"an"/"one".

    "convert 20 meters to feet" gives ["m"]; "how many grams in a pound" gives ["lb"].
    """
    found = [(m.start("unit"), symbol_of(m.group("unit"))) for m in _NUMBER_UNIT.finditer(text)]
    found += [(m.start("unit"), symbol_of(m.group("unit"))) for m in _ARTICLE_UNIT.finditer(text)]
    return list(dict.fromkeys(symbol for _, symbol in sorted(found)))
