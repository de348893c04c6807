"""The converter's pattern reader and cue, developed against the dev set beside this file.

The gold cases (evals/cases/units.yaml) are never read here: they are for evaluation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crane_bench.evals.cases import Case, load_case_file
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools.units.cue import has_units_signal
from crane_bench.runtime.tools.units.rules import read_conversion
from crane_bench.runtime.tools.units.words import amount_units, mentioned_units, symbol_of

DEV_PATH = Path(__file__).with_name("dev.yaml")
DEV = load_case_file(DEV_PATH)
_CALCULATOR_GAP = "calculator-gap"
"""Dev cases the converter rightly leaves alone and the calculator's rules cannot read."""


@pytest.mark.parametrize("case", DEV, ids=lambda c: c.id)
def test_the_pattern_planner_plans_each_dev_case(case: Case) -> None:
    plan = PatternPlanner().plan_sync(case.prompt)
    got = [(step.tool, step.input) for step in plan.steps]
    expected = [(step.tool, step.input) for step in case.expected.steps]
    if _CALCULATOR_GAP in case.tags:
        assert read_conversion(case.prompt) is None
        assert not has_units_signal(case.prompt)
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("clause", "conversion"),
    [
        ("convert 1,250 feet to meters", (1250, "ft", "m")),
        ("how many ml in a teaspoon", (1, "tsp", "ml")),
        ("what is minus 40 F in C", None),  # "minus" is no sign of a value here
        ("-40 F to C", (-40, "F", "C")),
        ("convert twelve inches to cm.", (12, "in", "cm")),
        ("2 kg", None),
        ("convert 5 km", None),
        ("convert 5 km to miles and back", None),
        ("I ran 5 km in 30 minutes", None),
    ],
)
def test_the_reader_reads_a_whole_conversion_only(
    clause: str, conversion: tuple[float, str, str] | None
) -> None:
    read = read_conversion(clause)
    if conversion is None:
        assert read is None
    else:
        value, source, target = conversion
        assert read == [{"value": value, "from_unit": source, "to_unit": target}]


def test_short_units_count_only_after_a_number_or_as_the_final_target() -> None:
    assert mentioned_units("I live in Paris and weigh 70 kg") == ["kg"]
    assert mentioned_units("12 in to cm") == ["in", "cm"]
    assert mentioned_units("98.6 F to C") == ["F", "C"]
    assert mentioned_units("convert 8 fluid ounces to ounces") == ["floz", "oz"]
    assert symbol_of("Degrees  Fahrenheit") == "F"
    assert amount_units("how many grams are in a pound") == ["lb"]
    assert amount_units("convert 20 meters to feet") == ["m"]


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("convert 5 km to miles", True),
        ("how many grams are in a pound", True),
        ("5 km is about how many miles", True),
        ("I ran 5 km today", False),
        ("how tall is mount everest in meters", False),
        ("what is 7 times 8", False),
        ("show my todo list", False),
        ("miles and kilometers are both lengths", False),
    ],
)
def test_the_cue_wants_an_amount_and_two_units(text: str, signal: bool) -> None:
    assert has_units_signal(text) is signal


def _existing_prompts() -> list[str]:
    """Every prompt of the other tools' gold cases and of the planners' dev sets."""
    root = Path(__file__).parents[4]
    files = [p for p in (root / "evals/cases").glob("*.yaml") if p.name != "units.yaml"]
    files += (root / "tests/runtime/planners/data").glob("*.yaml")
    return [case["prompt"] for path in files for case in yaml.safe_load(path.read_text())]


def test_no_prompt_of_the_other_tools_or_the_dev_sets_cues_the_converter() -> None:
    # The converter is offered `when_cued`: for a prompt that does not cue it, every
    # request the model planners send is what it was without the converter. The two
    # out-of-domain prompts that asked for a conversion ("other tools" when they were
    # written) left those sets when the converter made them in-domain.
    prompts = _existing_prompts()
    assert len(prompts) > 1000
    assert [p for p in prompts if has_units_signal(p)] == []
