"""Pattern planner over whole prompts: splitting, abstaining, partial matches."""

from __future__ import annotations

import pytest

from crane_bench.runtime.models import Plan
from crane_bench.runtime.planners.pattern import PatternPlanner
from tests.runtime.planners.test_pattern import (
    ARITHMETIC,
    TODOS,
    Step,
    add,
    calc,
    delete,
    done,
    lst,
    steps_of,
)


@pytest.fixture(scope="module")
def planner() -> PatternPlanner:
    return PatternPlanner()


MULTI = [
    ("add milk and add eggs", [add("milk"), add("eggs")]),
    ("add milk and then list my todos", [add("milk"), lst()]),
    ("remind me to call mom; list my todos", [add("call mom"), lst()]),
    ("what is 3 plus 4 and 5 times 6", [calc("3 + 4"), calc("5 * 6")]),
    ("what is 2 plus 2, then add milk", [calc("2 + 2"), add("milk")]),
    ("add milk. also show my list", [add("milk"), lst()]),
    ("delete 2 and 3", [delete(2), delete(3)]),
    ("add eggs to my list after that mark 1 done", [add("eggs"), done(1)]),
    ('add "salt and pepper" and list my todos', [add("salt and pepper"), lst()]),
    (
        "first add milk. then show my list. after that, what is 2 ^ 10",
        [add("milk"), lst(), calc("2 ** 10")],
    ),
    (
        "calculate 2 + 2 and list my todos and then mark 3 done",
        [calc("2 + 2"), lst(), done(3)],
    ),
    (
        'what\'s 15% of 80, then add "buy eggs" to my todo list',
        [calc("15 / 100 * 80"), add("buy eggs")],
    ),
]


@pytest.mark.parametrize(("prompt", "steps"), MULTI)
def test_multi_step(planner: PatternPlanner, prompt: str, steps: list[Step]) -> None:
    match = planner.match(prompt)
    assert steps_of(match) == steps
    assert match.confident


NOT_SPLIT = [
    ("add bread and butter to my list", [add("bread and butter")]),
    ("add salt and pepper", [add("salt and pepper")]),
    ("remind me to buy eggs and milk", [add("buy eggs and milk")]),
    ("add Dr. Smith appointment to my list", [add("Dr. Smith appointment")]),
    ("what is one hundred and five plus 3", [calc("105 + 3")]),
    ("calculate max(3, 7)", [calc("max(3, 7)")]),
    ("Please add milk, thanks!", [add("milk")]),
    ("hi, what is 2+2?", [calc("2 + 2")]),
    (
        "add eggs, milk, bread, butter, jam, cheese, ham, tea, rice, beans to my list",
        [add("eggs, milk, bread, butter, jam, cheese, ham, tea, rice, beans")],
    ),
]


@pytest.mark.parametrize(("prompt", "steps"), NOT_SPLIT)
def test_split_only_where_rules_agree(
    planner: PatternPlanner, prompt: str, steps: list[Step]
) -> None:
    assert steps_of(planner.match(prompt)) == steps


ABSTAIN = [
    "hi",
    "hello!",
    "thanks",
    "how are you",
    "tell me a joke",
    "what is the capital of France",
    "who won the world cup",
    "translate hello to French",
    "what's the weather like today",
    "send an email to bob",
    "book a flight to Paris",
    "set an alarm for 7am",
    "what time is it",
    "what is love",
    "what is 2 and 3",
    "what is 5",
    "what's 7 plus",
    "calculate __import__('os').system('ls')",
    "compute open('/etc/passwd').read()",
    "delete the milk one",
    "mark the groceries done",
    "add it to my list",
    "add",
    "",
    "   ",
]


@pytest.mark.parametrize("prompt", ABSTAIN)
def test_abstains(planner: PatternPlanner, prompt: str) -> None:
    match = planner.match(prompt)
    assert match.plan.abstains
    assert not match.confident
    assert match.unmatched == ([prompt.strip()] if prompt.strip() else [])


PARTIAL = [
    ("what is 2 plus 2 and what is the capital of France", [calc("2 + 2")],
     ["what is the capital of France"]),
    ("add milk to my list and tell me a joke", [add("milk")], ["tell me a joke"]),
    ("add milk and send an email to bob", [add("milk")], ["send an email to bob"]),
    ("remind me to buy eggs and tell me a joke", [add("buy eggs")], ["tell me a joke"]),
    ("what is 2 plus 2 and delete it", [calc("2 + 2")], ["delete it"]),  # no todo to point at
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "steps", "unmatched"), PARTIAL)
def test_partial_match_plans_served_clauses(
    planner: PatternPlanner, prompt: str, steps: list[Step], unmatched: list[str]
) -> None:
    match = planner.match(prompt)
    assert steps_of(match) == steps
    assert not match.confident
    assert match.unmatched == unmatched


def test_step_limit_overflow_is_not_confident(planner: PatternPlanner) -> None:
    items = ["milk", "eggs", "bread", "jam", "tea", "rice", "beans", "corn", "salt"]
    match = planner.match("; ".join(f"add {i}" for i in items))
    assert steps_of(match) == [add(i) for i in items[:8]]
    assert match.unmatched == ["add salt"]
    assert not match.confident


@pytest.mark.parametrize(
    "prompt", [p for p, _ in ARITHMETIC[:10] + TODOS[:10]] + [p for p, *_ in MULTI + PARTIAL]
)
def test_plans_validate_as_plan(planner: PatternPlanner, prompt: str) -> None:
    plan = planner.plan_sync(prompt)
    assert Plan.model_validate(plan.model_dump(mode="json")) == plan
