"""Table-driven tests of the pattern planner: phrasings in, exact plans out."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from crane_bench.runtime.models import PlanResult
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.pattern import PatternMatch, PatternPlanner

Step = tuple[str, dict[str, JsonValue]]


def calc(expression: str) -> Step:
    return ("calculator", {"expression": expression})


def add(title: str) -> Step:
    return ("todo_store", {"action": "add", "title": title})


def lst() -> Step:
    return ("todo_store", {"action": "list"})


def get(todo_id: int) -> Step:
    return ("todo_store", {"action": "get", "id": todo_id})


def done(todo_id: int) -> Step:
    return ("todo_store", {"action": "complete", "id": todo_id})


def delete(todo_id: int) -> Step:
    return ("todo_store", {"action": "delete", "id": todo_id})


def update(todo_id: int, title: str) -> Step:
    return ("todo_store", {"action": "update", "id": todo_id, "title": title})


@pytest.fixture(scope="module")
def planner() -> PatternPlanner:
    return PatternPlanner()


def steps_of(match: PatternMatch) -> list[Step]:
    return [(s.tool, dict(s.input)) for s in match.plan.steps]


ARITHMETIC = [
    ("what is 2+2", calc("2 + 2")),
    ("What's 7 minus 3?", calc("7 - 3")),
    ("whats 9 plus 10", calc("9 + 10")),
    ("calculate 12 * 12", calc("12 * 12")),
    ("compute 100 - 58", calc("100 - 58")),
    ("how much is 3 times 4", calc("3 * 4")),
    ("evaluate (10 + 5) * 2", calc("(10 + 5) * 2")),
    ("what is 15% of 80", calc("15 / 100 * 80")),
    ("how much is 20 percent of 150?", calc("20 / 100 * 150")),
    ("three times seven", calc("3 * 7")),
    ("six multiplied by nine", calc("6 * 9")),
    ("10 divided by 4", calc("10 / 4")),
    ("what is 22 over 7", calc("22 / 7")),
    ("2 to the power of 10", calc("2 ** 10")),
    ("what's 3 to the 4th power", calc("3 ** 4")),
    ("7 squared", calc("7 ** 2")),
    ("how much is 3 cubed", calc("3 ** 3")),
    ("square root of 16", calc("sqrt(16)")),
    ("what's the square root of 144 plus 6", calc("sqrt(144) + 6")),
    ("negative 5 plus 3", calc("-5 + 3")),
    ("twenty five times four", calc("25 * 4")),
    ("what's a hundred divided by eight", calc("100 / 8")),
    ("one thousand two hundred minus two hundred", calc("1200 - 200")),
    ("what is one hundred and five plus 3", calc("105 + 3")),
    ("three point five times two", calc("3.5 * 2")),
    ("half of 80", calc("80 / 2")),
    ("what is a third of 90", calc("90 / 3")),
    ("double 21", calc("2 * 21")),
    ("twice 8", calc("2 * 8")),
    ("triple 4", calc("3 * 4")),
    ("What’s 3 × 4?", calc("3 * 4")),
    ("what is 12 x 12", calc("12 * 12")),
    ("10 ÷ 4", calc("10 / 4")),
    ("calculate 2^10", calc("2 ** 10")),
    ("What is 1,250 * 4", calc("1250 * 4")),
    ("$15 + $25", calc("15 + 25")),
    ("calculate max(3, 7)", calc("max(3, 7)")),
    ("min(4, 9, 2)", calc("min(4, 9, 2)")),
    ("what is the larger of 3 and 7", calc("max(3, 7)")),
    ("round(3.7) + abs(-2)", calc("round(3.7) + abs(-2)")),
    ("the absolute value of negative 7", calc("abs(-7)")),
    ("pi times 2", calc("pi * 2")),
    ("17 mod 5", calc("17 % 5")),
    ("add 5 and 7", calc("5 + 7")),
    ("subtract 3 from 10", calc("10 - 3")),
    ("multiply 6 by 7", calc("6 * 7")),
    ("divide 100 by 4", calc("100 / 4")),
    ("what is the sum of 2, 3 and 4", calc("2 + 3 + 4")),
    ("the average of 2, 4 and 6", calc("(2 + 4 + 6) / 3")),
    ("what do you get if you multiply 3 by 4", calc("3 * 4")),
    ("can you tell me what 2 + 2 is", calc("2 + 2")),
    ("what does 2 plus 2 equal", calc("2 + 2")),
    ("10 / half of 4", calc("10 / (4 / 2)")),
    ("what is 10 minus negative 3", calc("10 - -3")),
    ("please calculate 5 times (3 + 4)", calc("5 * (3 + 4)")),
]

TODOS = [
    ("add buy milk to my list", add("buy milk")),
    ("add bread and butter to my list", add("bread and butter")),
    ("Add Buy Milk to my shopping list", add("Buy Milk")),
    ("remind me to call mom", add("call mom")),
    ("Remind me to Call Mom at 5pm!", add("Call Mom at 5pm")),
    ("put eggs on my list", add("eggs")),
    ('put "read War and Peace" on my reading list', add("read War and Peace")),
    ("create a todo to buy milk", add("buy milk")),
    ("create a task called 'Pay rent'", add("Pay rent")),
    ("new task: file taxes", add("file taxes")),
    ("add a task: call the bank.", add("call the bank")),
    ("todo: water the plants", add("water the plants")),
    ("add to my list: buy milk", add("buy milk")),
    ("add 3 eggs", add("3 eggs")),
    ("add milk", add("milk")),
    ("add <b>Milk</b> to my list", add("<b>Milk</b>")),
    ("add <script>alert('x')</script> to my todos", add("<script>alert('x')</script>")),
    ("list my todos", lst()),
    ("show my todos", lst()),
    ("show me all my tasks", lst()),
    ("what's on my list?", lst()),
    ("what is on my todo list", lst()),
    ("what do I have to do", lst()),
    ("what do i need to do today", lst()),
    ("my todos", lst()),
    ("show todo 3", get(3)),
    ("get task 3", get(3)),
    ("what is todo 3", get(3)),
    ("show me task #4", get(4)),
    ("what does task 5 say", get(5)),
    ("mark 2 done", done(2)),
    ("mark task three as done", done(3)),
    ("complete task 2", done(2)),
    ("I finished 2", done(2)),
    ("I've completed task 4", done(4)),
    ("check off 2", done(2)),
    ("check task 6 off", done(6)),
    ("task 2 is done", done(2)),
    ("delete 3", delete(3)),
    ("remove task 3", delete(3)),
    ("remove 3 from my list", delete(3)),
    ("get rid of task number 9", delete(9)),
    ("take 3 off my list", delete(3)),
    ("rename 3 to buy oat milk", update(3, "buy oat milk")),
    ("change todo 3 to Call Bob", update(3, "Call Bob")),
    ("update 3 to walk the dog", update(3, "walk the dog")),
    ('rename task 2 to "Email <i>Sam</i>"', update(2, "Email <i>Sam</i>")),
    ("change the title of task 5 to Pay bills", update(5, "Pay bills")),
]


@pytest.mark.parametrize(("prompt", "step"), ARITHMETIC + TODOS)
def test_single_clause(planner: PatternPlanner, prompt: str, step: Step) -> None:
    match = planner.match(prompt)
    assert steps_of(match) == [step]
    assert match.confident
    assert match.unmatched == []


def test_satisfies_planner_protocol(planner: PatternPlanner) -> None:
    assert isinstance(planner, Planner)
    assert planner.name == "pattern"


async def test_plan_returns_result_with_meta(planner: PatternPlanner) -> None:
    result = await planner.plan("add milk and then list my todos")
    assert isinstance(result, PlanResult)
    assert [s.input for s in result.plan.steps] == [add("milk")[1], lst()[1]]
    assert result.meta.planner == "pattern"
    assert result.meta.latency_ms >= 0
    assert (result.meta.tokens_in, result.meta.tokens_out, result.meta.cost_usd) == (0, 0, 0)
    assert result.meta.model is None


async def test_plan_abstains_without_raising(planner: PatternPlanner) -> None:
    result = await planner.plan("tell me a joke")
    assert result.plan.abstains


def test_match_is_frozen(planner: PatternPlanner) -> None:
    match = planner.match("list my todos")
    with pytest.raises(ValueError, match="frozen"):
        match.confident = False  # type: ignore[misc]
