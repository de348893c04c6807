"""The todo reader that takes a request apart: action, todo, framing, in any order.

The prompts are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools.todo.structure import read_todo_structure


@pytest.mark.parametrize(
    ("clause", "inputs"),
    [
        ("please strike... no, cross task 6 off my list", None),
        ("could you cross task 6 off my list", [{"action": "complete", "id": 6}]),
        ("task 7 is no longer needed", [{"action": "delete", "id": 7}]),
        ("i'm finished with the fourth task", [{"action": "complete", "id": 4}]),
        ("the second one's done", [{"action": "complete", "id": 2}]),
        ("task 9 can go", [{"action": "delete", "id": 9}]),
        ("what was item 5 again", [{"action": "get", "id": 5}]),
        ("remind me what todo 2 is", [{"action": "get", "id": 2}]),
        ("wipe the 3rd item", [{"action": "delete", "id": 3}]),
        (
            "tasks 2 and 5 are done now",
            [{"action": "complete", "id": 2}, {"action": "complete", "id": 5}],
        ),
        ("is there anything on my to-do list", [{"action": "list"}]),
        ("let me know what's on my list", [{"action": "list"}]),
        ("what are my tasks for today", [{"action": "list"}]),
    ],
)
def test_a_request_is_read_from_its_parts(
    clause: str, inputs: list[dict[str, JsonValue]] | None
) -> None:
    assert read_todo_structure(clause) == inputs


@pytest.mark.parametrize(
    "clause",
    [
        "is task 3 of the project hard",  # "hard", "project": words of no known role
        "show me task 2 is done",  # two actions
        "what's on the list of world heritage sites",
        "show me my list of contacts",
        "what's 1",  # a bare number is no todo
        "delete 2",  # the rules read bare ids after a verb; this reader wants a marked one
        "mark task 2",  # "mark" alone says neither done nor deleted
        "i finished the 3rd book in the series",
        "cancel my 2nd appointment",
        "delete it",  # pronouns belong to the rules and to references
    ],
)
def test_anything_left_over_or_ambiguous_is_not_read(clause: str) -> None:
    assert read_todo_structure(clause) is None


def test_a_sum_with_thousands_commas_is_not_cut_into_a_todo_id() -> None:
    steps = PatternPlanner().match("what's 2,400 + 1,600").plan.steps
    assert [(s.tool, s.input) for s in steps] == [("calculator", {"expression": "2400 + 1600"})]


@pytest.mark.parametrize(
    ("prompt", "inputs"),
    [
        ("set task 3 to done", [{"action": "complete", "id": 3}]),
        (
            "rename task 3 to done and dusted",
            [{"action": "update", "id": 3, "title": "done and dusted"}],
        ),
        ("to my list add water the ferns", [{"action": "add", "title": "water the ferns"}]),
        ("i want to add oil change to my list", [{"action": "add", "title": "oil change"}]),
        ("remove the 2nd task", [{"action": "delete", "id": 2}]),
    ],
)
def test_rules_that_came_with_the_reader(prompt: str, inputs: list[dict[str, JsonValue]]) -> None:
    assert [s.input for s in PatternPlanner().match(prompt).plan.steps] == inputs


@pytest.mark.parametrize(
    "prompt",
    [
        "has task 2 been deleted",
        "is task 3 done?",
        "was task 2 completed",
        "have you finished the third one?",
        "can task 2 go?",
        "see you at number 10",
        "can you say number five",
        "what's your agenda?",
        "i see the list",
    ],
)
def test_questions_and_chat_about_todos_change_nothing(prompt: str) -> None:
    assert PatternPlanner().match(prompt).plan.steps == []


def test_a_polite_request_with_a_question_mark_is_still_a_request() -> None:
    steps = PatternPlanner().match("can you check task 1 off?").plan.steps
    assert [s.input for s in steps] == [{"action": "complete", "id": 1}]
