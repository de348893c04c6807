"""The `unit_converter` tool: a value from one unit to another, with exact factors.

Four kinds of unit: length, mass, temperature and volume (US customary for the cup,
pint, quart, gallon, fluid ounce and spoons). Each unit's factor to its kind's base
unit is exact by definition (an inch is 0.0254 m, a pound 453.59237 g, a US gallon
3.785411784 l) and computed with `fractions.Fraction`, so the only rounding is the last
one, to a float. Temperatures go through kelvin. Time is not a kind here: "minutes in
3 hours" is arithmetic, the calculator's.

Units of two kinds ("5 kg to meters") and a temperature below absolute zero are the
tool's own `UnitsError`: the step fails, with that message.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from crane_bench.runtime.tools.units.errors import UnitsError

Unit = Literal[
    "mm", "cm", "m", "km", "in", "ft", "yd", "mi",
    "mg", "g", "kg", "t", "oz", "lb",
    "C", "F", "K",
    "ml", "l", "tsp", "tbsp", "floz", "cup", "pt", "qt", "gal",
]  # fmt: skip
"""The units, by symbol."""

UNITS: Final[tuple[str, ...]] = get_args(Unit)
Kind = Literal["length", "mass", "temperature", "volume"]

# Each unit's kind and its exact factor to the kind's base unit (m, g, K, ml).
# Temperatures are not factors of one another: `_to_kelvin` / `_from_kelvin`.
_FACTORS: Final[dict[str, tuple[Kind, Fraction]]] = {
    "mm": ("length", Fraction("0.001")),
    "cm": ("length", Fraction("0.01")),
    "m": ("length", Fraction(1)),
    "km": ("length", Fraction(1000)),
    "in": ("length", Fraction("0.0254")),
    "ft": ("length", Fraction("0.3048")),
    "yd": ("length", Fraction("0.9144")),
    "mi": ("length", Fraction("1609.344")),
    "mg": ("mass", Fraction("0.001")),
    "g": ("mass", Fraction(1)),
    "kg": ("mass", Fraction(1000)),
    "t": ("mass", Fraction(1_000_000)),
    "oz": ("mass", Fraction("28.349523125")),
    "lb": ("mass", Fraction("453.59237")),
    "C": ("temperature", Fraction(1)),
    "F": ("temperature", Fraction(5, 9)),
    "K": ("temperature", Fraction(1)),
    "ml": ("volume", Fraction(1)),
    "l": ("volume", Fraction(1000)),
    "tsp": ("volume", Fraction("4.92892159375")),
    "tbsp": ("volume", Fraction("14.78676478125")),
    "floz": ("volume", Fraction("29.5735295625")),
    "cup": ("volume", Fraction("236.5882365")),
    "pt": ("volume", Fraction("473.176473")),
    "qt": ("volume", Fraction("946.352946")),
    "gal": ("volume", Fraction("3785.411784")),
}
_ABSOLUTE_ZERO_C: Final = Fraction("273.15")
_FREEZING_F: Final = Fraction(32)
_SYMBOLS: Final = {unit.lower(): unit for unit in UNITS}


def kind_of(unit: str) -> Kind:
    """The kind of a unit symbol (`km` is a length)."""
    return _FACTORS[unit][0]


def _symbol(value: object) -> object:
    """A unit as a symbol, whatever its case ("KM", "c"), so a plan may write either."""
    return _SYMBOLS.get(value.strip().lower(), value) if isinstance(value, str) else value


UnitSymbol = Annotated[Unit, BeforeValidator(_symbol)]


class UnitsInput(BaseModel):
    """Input of the `unit_converter` tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(allow_inf_nan=False, description="The amount to convert.")
    from_unit: UnitSymbol = Field(description="The unit the amount is in (a symbol).")
    to_unit: UnitSymbol = Field(description="The unit to convert it to (a symbol).")


def _to_kelvin(value: Fraction, unit: str) -> Fraction:
    if unit == "K":
        return value
    celsius = value if unit == "C" else (value - _FREEZING_F) * _FACTORS["F"][1]
    return celsius + _ABSOLUTE_ZERO_C


def _from_kelvin(kelvin: Fraction, unit: str) -> Fraction:
    if unit == "K":
        return kelvin
    celsius = kelvin - _ABSOLUTE_ZERO_C
    return celsius if unit == "C" else celsius / _FACTORS["F"][1] + _FREEZING_F


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """`value` in `from_unit`, expressed in `to_unit`.

    Raises:
        UnitsError: The units measure different things, or the temperature is below
            absolute zero.
    """
    kind, to_kind = kind_of(from_unit), kind_of(to_unit)
    if kind != to_kind:
        raise UnitsError(
            f"cannot convert {from_unit} ({kind}) to {to_unit} ({to_kind}): "
            "units of different kinds"
        )
    exact = Fraction(value)
    if kind == "temperature":
        kelvin = _to_kelvin(exact, from_unit)
        if kelvin < 0:
            raise UnitsError(f"{value:g} {from_unit} is below absolute zero")
        return float(_from_kelvin(kelvin, to_unit))
    return float(exact * _FACTORS[from_unit][1] / _FACTORS[to_unit][1])


class UnitConverterTool:
    """Converts a value between two units of one kind (length, mass, temperature, volume)."""

    name = "unit_converter"
    description = (
        "Convert a value from one unit to another of the same kind: length (mm cm m km "
        "in ft yd mi), mass (mg g kg t oz lb), temperature (C F K) or US volume (ml l tsp "
        "tbsp floz cup pt qt gal)."
    )
    input_model = UnitsInput

    async def run(self, tool_input: UnitsInput) -> JsonValue:
        """The converted value and its unit.

        Raises:
            UnitsError: The conversion has no answer.
        """
        result = convert(tool_input.value, tool_input.from_unit, tool_input.to_unit)
        return {"value": result, "unit": tool_input.to_unit}
