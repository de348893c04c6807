"""The unit converter as a plug-in: everything planners, evals and load tests know of it.

Offered to the model only when its cue matches (`offered="when_cued"`): a request that
names no amount in two units is sent exactly as it would be without this tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from crane_bench.runtime.tools.plugin import (
    LabelSpec,
    LoadPrompt,
    PlanExample,
    RuleReader,
    ToolDeclaration,
)
from crane_bench.runtime.tools.units.answer import FROM_FIELD, TO_FIELD, VALUE_FIELD
from crane_bench.runtime.tools.units.cue import has_units_signal
from crane_bench.runtime.tools.units.rules import read_conversion
from crane_bench.runtime.tools.units.tool import UnitConverterTool, UnitsInput

UNITS_PLUGIN: Final = ToolDeclaration(
    name="unit_converter",
    category="units",
    input_model=UnitsInput,
    factory=UnitConverterTool,
    labels=(
        LabelSpec(
            "unit_convert",
            "convert a value from one unit to another; units as symbols like km mi kg lb C F",
            ("value", "from_unit", "to_unit"),
        ),
    ),
    answer_fields=(VALUE_FIELD, FROM_FIELD, TO_FIELD),
    offered="when_cued",
    plan_examples=(
        PlanExample(
            "Convert 3 miles to kilometers.",
            (
                {
                    "tool": "unit_converter",
                    "input": {"value": 3, "from_unit": "mi", "to_unit": "km"},
                },
            ),
        ),
    ),
    signal_fn=has_units_signal,
    signal_name="units",
    examples=Path(__file__).with_name("examples.yaml"),
    # After the marked todo phrasings ("add 2 kg of flour to my list" is a todo), before
    # arithmetic: a conversion is read whole, so it takes nothing arithmetic would.
    rules=(RuleReader(15, "a conversion between two units", read_conversion),),
    load_prompts=(
        LoadPrompt("convert {a} km to miles"),
        LoadPrompt("how many ounces in {a} kg"),
        LoadPrompt("what is {a} C in fahrenheit"),
        LoadPrompt("convert {big} ml to cups"),
        LoadPrompt("convert {a} kg to meters", expect="failed"),
    ),
)
"""The unit converter's declaration."""

PLUGIN: Final = UNITS_PLUGIN
"""The name the tool registry looks for in every tool package's `plugin` module."""
