"""Tool cues: text that asks for arithmetic or a todo, told from text that asks for neither.

The examples are written for this test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest

from runtime.planners.signals import has_arithmetic_signal, has_todo_signal, signals, supports


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
