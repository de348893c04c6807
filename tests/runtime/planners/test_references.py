"""Back-references between clauses: pronouns that point at a todo, chained calculations.

The prompts are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest

from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.planners.pattern import PatternPlanner
from tests.runtime.planners.test_pattern_structure import Step, steps_of, todo


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("open task 3 and then tick it off", [todo("get", id=3), todo("complete", id=3)]),
        ("show me todo 4, then delete it", [todo("get", id=4), todo("delete", id=4)]),
        # The clause that names the todo is context, not a request of its own.
        ("I no longer want task 6, delete it", [todo("delete", id=6)]),
        # A step that repeats the one before it is the same request said twice.
        ("I've finished task 2, mark it done", [todo("complete", id=2)]),
    ],
)
def test_a_pronoun_takes_the_id_an_earlier_clause_named(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps
    assert PatternPlanner().match(prompt).confident


def test_a_pronoun_with_nothing_to_point_at_is_not_served() -> None:
    match = PatternPlanner().match("please delete it")
    assert match.plan.abstains
    assert not match.confident


def test_a_chained_calculation_is_one_expression() -> None:
    match = PatternPlanner().match("add 9 and 3, then divide that by 4")
    assert match.plan.steps == [PlanStep(tool="calculator", input={"expression": "(9 + 3) / 4"})]
    assert match.confident


def test_a_chained_calculation_with_no_calculation_before_is_not_served() -> None:
    match = PatternPlanner().match("show my list, then multiply that by 4")
    assert [s.input.get("action") for s in match.plan.steps] == ["list"]
    assert not match.confident
