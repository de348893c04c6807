"""Tool cues: text that asks for arithmetic or a todo, told from text that asks for neither.

The examples are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest

from crane_bench.runtime.planners.signals import (
    has_arithmetic_signal,
    has_no_signal,
    has_todo_signal,
    refers_back,
    signals,
    supports,
    supports_step,
)


@pytest.mark.parametrize(
    "text",
    [
        "what is 17 * 4",
        "how much is nine times eleven",
        "take 15% off 240",
        "square root of 361",
        "split 120 evenly between 4 people",
        "2^10",
        "double 35",
        "is 7 more than 3 plus 2",
        "what is 9 less than 40",
        "increase 80 by 15%",
        "what percentage of 64 is 16",
        "the division of 81 by 9",
        # read by the arithmetic reader, though no operation word stands near a number
        "take away 45 from 70",
        "how many 6s go into 54",
        "what is 3 to the fourth power",
    ],
)
def test_arithmetic_cues(text: str) -> None:
    assert has_arithmetic_signal(text)
    assert "arithmetic" in signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "what year did the war end, 1945?",  # a number, but no operation
        "calculate my horoscope",  # an operation word, but no number
        "tell me about 3 famous painters",
        "my flight is at 10",
    ],
)
def test_a_number_or_an_operation_word_alone_is_no_arithmetic_cue(text: str) -> None:
    assert not has_arithmetic_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "put oat milk on my shopping list",
        "remind me to water the ferns",
        "tick off number 4",
        "cross off the second one",
        "what's on my agenda",
        "rename task 2 to call the plumber",
    ],
)
def test_todo_cues(text: str) -> None:
    assert has_todo_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "what is the capital of Peru",
        "tell me a joke about penguins",
        "hello there",
        "translate good morning into Italian",
        "who wrote Middlemarch",
        "how tall is the tallest tree",
    ],
)
def test_prompts_that_ask_for_no_tool_carry_no_cue(text: str) -> None:
    assert signals(text) == frozenset()


def test_a_step_needs_its_tools_cue() -> None:
    assert supports("add 2 and 3", "calculator")
    assert not supports("remind me about the 3 meetings", "calculator")
    assert supports("remind me about the 3 meetings", "todo_store")
    assert not supports("what is the capital of Peru", "todo_store")
    assert supports("anything at all", "some_new_tool")  # no cues known: never refused


@pytest.mark.parametrize(
    "text",
    [
        "what percent of the ocean is unexplored",  # an operation word, no number
        "set the brightness to 40 percent",  # a number and "percent", but nothing of it
        "I saw 3 deer and 2 foxes",  # numbers joined by "and": no operation
        "catch-22 and blink-182",  # a hyphen inside a name is no minus
        "in 1969 the 3 astronauts flew",
        "we went diving 3 days in a row",  # "diving" is not "dividing"
    ],
)
def test_numbers_and_operation_words_that_stand_apart_are_no_arithmetic_cue(text: str) -> None:
    assert not has_arithmetic_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "show me a picture of a fox",  # a show verb, no todo object
        "read me a limerick",
        "can you see the moon from here",
        "the list of oscar winners",  # "list of": a list about something else
        "put the kettle on",
        "I'm done with this book",
    ],
)
def test_todo_verbs_without_a_todo_object_are_no_todo_cue(text: str) -> None:
    assert not has_todo_signal(text)
    assert has_no_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "my tasks this week are exhausting",  # a todo noun, but no todo verb
        "bom dia a todos",  # Portuguese "todos"
        "what percent of the ocean is unexplored",
    ],
)
def test_a_cue_with_no_action_to_take_is_a_confident_abstention(text: str) -> None:
    assert has_no_signal(text)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("put oat milk on my shopping list", "add"),
        ("let me see my task list", "list"),
        ("open the second todo", "get"),
        ("tick off number 4", "complete"),
        ("get rid of task 3", "delete"),
        ("task 2 should read call the vet", "update"),
    ],
)
def test_a_todo_step_is_supported_by_its_action_verb(text: str, action: str) -> None:
    assert supports_step(text, "todo_store", action)
    assert not has_no_signal(text)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("what's on my agenda", "add"),  # shows the list, adds nothing
        ("add a reminder to stretch", "delete"),
        ("show my todos", "complete"),
        ("delete all my todos", "delete"),  # no id to delete
    ],
)
def test_a_todo_step_whose_action_is_not_named_is_not_supported(text: str, action: str) -> None:
    assert not supports_step(text, "todo_store", action)


def test_a_pronoun_stands_for_a_todo_only_after_a_todo_was_named() -> None:
    assert refers_back("mark it done", ["show task 2"])
    assert not refers_back("mark it done", ["what is the capital of France"])
    assert not refers_back("show task 2", ["add milk to my list"])  # no pronoun
    assert supports_step("mark it done", "todo_store", "complete", refers_back=True)
    assert not supports_step("mark it done", "todo_store", "complete")


@pytest.mark.parametrize(
    "text",
    [
        "who wore number 10 for brazil",  # "number N" with no todo verb acting on it
        "why is the number 7 lucky",
        "what's the difference between 3G and 4G",  # numbers glued to letters are names
        "what task does the liver perform",  # a singular task with no owner
        "which to-do list apps are free",  # the list noun modifies another noun
    ],
)
def test_names_that_look_like_todos_or_operands_are_no_cue(text: str) -> None:
    assert signals(text) == frozenset()


@pytest.mark.parametrize(
    "text", ["what tasks are left", "mark number 3 done", "number 2 is finished", "show me #4"]
)
def test_plural_tasks_and_numbers_a_todo_verb_acts_on_are_todo_cues(text: str) -> None:
    assert "todo" in signals(text)
