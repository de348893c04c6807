"""Tests of the pattern planner's parts: number words, expressions, clauses, titles."""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crane_bench.runtime.planners.clauses import normalize_clause, segment
from crane_bench.runtime.planners.number_words import parse_number_words, replace_number_words
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools.calculator.arithmetic_text import spoken_to_expression
from crane_bench.runtime.tools.calculator.expression_builder import build_expression
from crane_bench.runtime.tools.todo.rules import (
    FALLBACK_ADD_RULES,
    MANY_ADD_RULES,
    TODO_RULES,
    clean_title,
)

_NAMES: dict[str, object] = {"sqrt": math.sqrt, "abs": abs, "round": round, "min": min}
_NAMES |= {"max": max, "pi": math.pi, "e": math.e}
_SAFE_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Call, ast.Name, ast.Load,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.USub, ast.UAdd,
)  # fmt: skip


def evaluate(expression: str) -> float:
    """Evaluate an expression the way the calculator tool would accept it."""
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, _SAFE_NODES), ast.dump(node)
        if isinstance(node, ast.Name):
            assert node.id in _NAMES
    return float(eval(compile(tree, "<expr>", "eval"), {"__builtins__": {}}, dict(_NAMES)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("twenty five plus a hundred", "25 plus 100"),
        ("one thousand two hundred", "1200"),
        ("twelve hundred", "1200"),
        ("one hundred and five", "105"),
        ("two hundred thousand and one", "200001"),
        ("one million five hundred thousand", "1500000"),
        ("twenty-one", "21"),
        ("three point one four", "3.14"),
        ("point five", "0.5"),
        ("a dozen eggs", "12 eggs"),
        ("one and two", "1 and 2"),
        ("five five", "5 5"),
        ("what is love", "what is love"),
        ("a third of ninety", "a third of 90"),
    ],
)
def test_replace_number_words(text: str, expected: str) -> None:
    assert replace_number_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("#12", 12), ("three", 3), ("twenty one", 21), ("one two", None), ("milk", None)],
)
def test_parse_number_words(text: str, expected: int | None) -> None:
    assert parse_number_words(text) == expected


@pytest.mark.parametrize(
    ("prompt", "value"),
    [
        ("what is 15% of 80", 12),
        ("2 to the power of 10", 1024),
        ("square root of 16", 4),
        ("half of 4 squared", 8),
        ("3 + 4 squared", 19),
        ("10 / half of 4", 5),
        ("negative 5 plus 3", -2),
        ("50 + 10%", 50.1),
        ("10 % 3", 1),
        ("the remainder of 17 divided by 5", 2),
        ("difference between 10 and 4", 6),
        ("the product of 2, 3 and 4", 24),
        ("what is 7 integer divided by 2", 3),
        ("what is two to the third", 8),
        ("what is 1,000,000 / 1,000", 1000),
        ("the smallest of 4, 9 and 2", 2),
        ("3 minus negative 2 times 2", 7),
    ],
)
def test_expression_values(prompt: str, value: float) -> None:
    expression = spoken_to_expression(prompt)
    assert expression is not None
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["", "5", "(5)", "2 +", "(2 + 3", "2 3", "sqrt", "max(1,)", "import os", "2 ** ** 3"]
)
def test_build_expression_rejects_non_arithmetic(text: str) -> None:
    assert build_expression(text) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  buy milk. ", "buy milk"),
        ('"Buy Milk!"', "Buy Milk!"),
        ("“call Mom”", "call Mom"),
        ("'pay rent'?", "pay rent"),
        ("<b>Bold</b>", "<b>Bold</b>"),
        ("Fix bug #12; ship it", "Fix bug #12; ship it"),
    ],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Please add milk!", "add milk"),
        ("hey, can you list my todos?", "list my todos"),
        ("first, delete 3", "delete 3"),
        ("what is 2 + 2 thanks", "what is 2 + 2"),
        ("hi", ""),
    ],
)
def test_normalize_clause(raw: str, expected: str) -> None:
    assert normalize_clause(raw) == expected


def test_segment_prefers_cuts_that_every_rule_serves() -> None:
    def words(clause: str) -> str | None:
        return clause if clause in {"a b", "c", "d"} else None

    assert [c.text for c in segment("a b and c then d", words)] == ["a b", "c", "d"]
    assert [c.result for c in segment("x and c", words)] == [None, "c"]


def test_segment_never_cuts_inside_quotes_or_parentheses() -> None:
    clauses = segment("say 'a and b' and f(1, 2)", lambda c: c)
    assert [c.text for c in clauses] == ["say 'a and b'", "f(1, 2)"]


_FRAGMENTS = [
    "add", "and", "then", "what is", "plus", "times", "todo", "3", "seven", "milk", "delete",
    "mark", "done", "to my list", "(", ")", ",", "%", "of", "'", "__import__", "sqrt",
    "half of", "squared", ";", "list my todos", "rename", "to", "<b>", "x",
]  # fmt: skip
_EXPRESSION_CHARS = re.compile(r"^[0-9a-z.+\-*/%(), ]+$")
_ACTIONS = {"add", "list", "get", "update", "complete", "delete"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_FRAGMENTS),
            st.text(max_size=8),
        ),
        max_size=12,
    ).map(" ".join)
)  # fmt: skip
def test_any_text_gives_a_well_formed_plan(prompt: str) -> None:
    match = PatternPlanner().match(prompt)
    assert match.confident == (bool(match.plan.steps) and not match.unmatched)
    for step in match.plan.steps:
        if step.tool == "calculator":
            expression = step.input["expression"]
            assert isinstance(expression, str)
            assert _EXPRESSION_CHARS.match(expression), expression
            ast.parse(expression, mode="eval")
        else:
            assert step.tool == "todo_store"
            assert step.input["action"] in _ACTIONS
            assert set(step.input) <= {"action", "title", "id"}
            title = step.input.get("title", "x")
            assert isinstance(title, str)
            assert title.strip()
            assert isinstance(step.input.get("id", 0), int)


def test_the_todo_rules_compile_on_first_use_and_as_written() -> None:
    """Importing the planner compiles no todo rule; each compiles once, re.I, as written."""
    probe = (
        "from crane_bench.runtime.tools.todo import rules as t\n"
        "before = t._compile.cache_info().currsize\n"
        "t.match_todo('show my list', t.TODO_RULES)\n"
        "print(before, t._compile.cache_info().currsize)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    before, after = map(int, done.stdout.split())
    assert before == 0
    assert 0 < after < len(TODO_RULES)  # "show my list" is served before the last rule
    for rule in (*TODO_RULES, *MANY_ADD_RULES, *FALLBACK_ADD_RULES):
        assert rule.pattern == re.compile(rule.source, re.IGNORECASE)
        assert rule.pattern is rule.pattern  # cached, not compiled per match
