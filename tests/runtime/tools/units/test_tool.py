"""The unit converter itself: exact conversions, and the conversions it refuses."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from crane_bench.runtime.errors import ToolError
from crane_bench.runtime.tools.units import (
    UNITS,
    UnitConverterTool,
    UnitsError,
    UnitsInput,
    convert,
    kind_of,
)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, "in", "cm", 2.54),
        (1, "mi", "km", 1.609344),
        (1, "ft", "in", 12),
        (1, "yd", "ft", 3),
        (1, "lb", "oz", 16),
        (1, "lb", "g", 453.59237),
        (2, "t", "kg", 2000),
        (1, "gal", "qt", 4),
        (1, "qt", "pt", 2),
        (1, "cup", "floz", 8),
        (1, "tbsp", "tsp", 3),
        (1, "gal", "l", 3.785411784),
        (0, "C", "F", 32),
        (100, "C", "F", 212),
        (-40, "F", "C", -40),
        (0, "K", "C", -273.15),
        (32, "F", "K", 273.15),
        (2.5, "km", "km", 2.5),
    ],
)
def test_conversions_use_exact_factors(
    value: float, source: str, target: str, expected: float
) -> None:
    assert math.isclose(convert(value, source, target), expected, rel_tol=1e-12, abs_tol=1e-12)


def test_a_round_trip_is_exact_to_the_last_float() -> None:
    # Fractions all the way: one rounding, at the end.
    assert convert(convert(5, "km", "mi"), "mi", "km") == pytest.approx(5, rel=1e-15)
    assert convert(30, "C", "F") == 86.0


def test_every_unit_has_a_kind() -> None:
    kinds = {kind_of(unit) for unit in UNITS}
    assert kinds == {"length", "mass", "temperature", "volume"}


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("kg", "m", r"cannot convert kg \(mass\) to m \(length\): units of different kinds"),
        ("C", "l", r"cannot convert C \(temperature\) to l \(volume\)"),
    ],
)
def test_units_of_different_kinds_are_the_tools_own_error(
    source: str, target: str, message: str
) -> None:
    with pytest.raises(UnitsError, match=message):
        convert(5, source, target)


def test_a_temperature_below_absolute_zero_is_refused() -> None:
    with pytest.raises(UnitsError, match="-500 K is below absolute zero"):
        convert(-500, "K", "C")
    with pytest.raises(UnitsError, match="below absolute zero"):
        convert(-500, "F", "C")
    assert issubclass(UnitsError, ToolError)  # a refused input: the step fails, not retried


def test_the_input_takes_symbols_in_any_case_and_refuses_other_units() -> None:
    parsed = UnitsInput.model_validate({"value": 5, "from_unit": "KM", "to_unit": "c"})
    assert (parsed.from_unit, parsed.to_unit) == ("km", "C")
    with pytest.raises(ValidationError, match="from_unit"):
        UnitsInput.model_validate({"value": 5, "from_unit": "parsec", "to_unit": "m"})
    with pytest.raises(ValidationError, match="value"):
        UnitsInput.model_validate({"value": "inf", "from_unit": "m", "to_unit": "km"})
    with pytest.raises(ValidationError, match="extra"):
        UnitsInput.model_validate({"value": 1, "from_unit": "m", "to_unit": "km", "x": 1})


def test_the_schema_planners_see_closes_the_units() -> None:
    schema = UnitsInput.model_json_schema()
    unit_schema = schema["properties"]["from_unit"]
    assert unit_schema["enum"] == list(UNITS)


async def test_the_tool_returns_the_value_and_its_unit() -> None:
    tool = UnitConverterTool()
    output = await tool.run(UnitsInput(value=10, from_unit="mi", to_unit="km"))
    assert output == {"value": pytest.approx(16.09344), "unit": "km"}
