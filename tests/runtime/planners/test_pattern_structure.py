"""Readings built from structure (a verb, its object, frame words), not from one phrasing.

The prompts are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from runtime.planners.arithmetic_text import spoken_to_expression
from runtime.planners.pattern import PatternPlanner

Step = tuple[str, dict[str, JsonValue]]


def steps_of(prompt: str) -> list[Step]:
    return [(s.tool, dict(s.input)) for s in PatternPlanner().match(prompt).plan.steps]


def todo(action: str, **fields: JsonValue) -> Step:
    return ("todo_store", {"action": action, **fields})


@pytest.mark.parametrize(
    "prompt",
    [
        "let me see my whole task list",
        "could I see everything that's on my list",
        "give me an overview of my tasks",
        "go over all of my reminders",
        "i'd like to see my open todos now",
        "bring up the entire todo list again",
    ],
)
def test_a_show_verb_with_the_list_as_its_object_lists(prompt: str) -> None:
    assert steps_of(prompt) == [todo("list")]


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("open the third task", [todo("get", id=3)]),
        ("cross off the first item", [todo("complete", id=1)]),
        ("erase the second one", [todo("delete", id=2)]),
        ("fetch item 4 from my list", [todo("get", id=4)]),
        ("task 5 is finished already", [todo("complete", id=5)]),
        ("todo 1 should say feed the fish instead", [todo("update", id=1, title="feed the fish")]),
        ("edit the second task so it reads pay the gas bill",
         [todo("update", id=2, title="pay the gas bill")]),
    ],
)  # fmt: skip
def test_ids_by_position_and_verbs_around_an_id(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


@pytest.mark.parametrize(
    ("prompt", "steps"),
    [
        ("I have to repot the basil, can you put that on my todo list",
         [todo("add", title="repot the basil")]),
        ("save sharpen the knives as a task", [todo("add", title="sharpen the knives")]),
        ("new reminder please: defrost the freezer", [todo("add", title="defrost the freezer")]),
        ("remember to oil the hinges on my list", [todo("add", title="oil the hinges")]),
        ("add three things to my list: rake leaves, wash the dog and call aunt jo",
         [todo("add", title="rake leaves"), todo("add", title="wash the dog"),
          todo("add", title="call aunt jo")]),
        ("remind me to fold laundry and then let me see my tasks",
         [todo("add", title="fold laundry"), todo("list")]),
    ],
)  # fmt: skip
def test_adds_read_from_the_verb_the_title_and_the_list(prompt: str, steps: list[Step]) -> None:
    assert steps_of(prompt) == steps


def test_a_counted_list_of_titles_must_have_that_many() -> None:
    assert steps_of("add two things to my list: rake leaves") == []


@pytest.mark.parametrize(
    ("clause", "expression"),
    [
        ("i want 6.5 times 8", "6.5 * 8"),
        ("nine cubed is what", "9 ** 3"),
        ("maths question: 7 + 2*5", "7 + 2 * 5"),
        ("how many times does 12 go into 144", "144 / 12"),
        ("split 90 between 6 people", "90 / 6"),
        ("200 shared equally among 8 is how much", "200 / 8"),
        ("what do we get if we halve 50", "50 / 2"),
    ],
)
def test_a_calculation_inside_frame_words_is_read(clause: str, expression: str) -> None:
    assert spoken_to_expression(clause) == expression


@pytest.mark.parametrize(
    "clause",
    [
        "is 5 plus 3 a lucky number",  # "lucky" frames nothing: not only a calculation
        "how many times have I been to 3 countries",
        "i want 3 tickets",
        "split the bill",
    ],
)
def test_words_that_are_not_frames_keep_a_clause_from_being_arithmetic(clause: str) -> None:
    assert spoken_to_expression(clause) is None
