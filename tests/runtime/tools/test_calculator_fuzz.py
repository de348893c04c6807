"""Property tests: whatever the text, `evaluate` returns a bounded number or refuses.

Random expression trees are rendered to text and evaluated; a tiny reference interpreter
over the same trees (plain Python operators, no `eval`) checks every accepted value. It
only runs when `evaluate` accepted, because then every intermediate value was bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.tools import evaluate
from tests.runtime.tools.calculator_strategies import (
    ARITHMETIC_ALPHABET,
    BINARY,
    REFUSED_BINARY,
    Tree,
    leaves,
    render,
    trees,
)

FUZZ = settings(max_examples=300, deadline=None)


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a**b,
}
_CALLS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
}


def reference(tree: Tree) -> Any:
    match tree:
        case ("num", value):
            return value
        case ("const", name):
            return {"pi": math.pi, "e": math.e}[name]
        case ("unary", op, child):
            return -reference(child) if op == "-" else +reference(child)
        case ("bin", op, left, right):
            return _OPS[op](reference(left), reference(right))
        case ("call", name, args):
            return _CALLS[name](*(reference(arg) for arg in args))
    raise AssertionError(tree)


def assert_bounded_number(text: str) -> int | float | None:
    """Evaluate `text`: a bounded int or float comes back, or None when it was refused.

    Any exception other than `CalculatorError` propagates and fails the test.
    """
    try:
        return bounded(evaluate(text))
    except CalculatorError as exc:
        refusal = str(exc)
    assert refusal  # a refusal always says why
    return None


def bounded(value: object) -> int | float:
    assert type(value) in (int, float)
    assert isinstance(value, int | float)
    assert math.isfinite(value)
    assert abs(value) <= 1e100
    return value


@FUZZ
@given(trees)
def test_expression_trees_evaluate_like_python_or_are_refused(tree: Tree) -> None:
    text = render(tree)
    value = assert_bounded_number(text)
    if value is not None:
        expected = reference(tree)
        assert type(value) is type(expected)
        assert value == expected


@FUZZ
@given(
    st.recursive(
        leaves,
        lambda children: st.tuples(
            st.just("bin"), st.sampled_from(BINARY + REFUSED_BINARY), children, children
        ),
        max_leaves=12,
    )
)
def test_trees_with_refused_operators_are_refused_or_bounded(tree: Tree) -> None:
    assert_bounded_number(render(tree))


@FUZZ
@given(st.text(max_size=600))
def test_any_text_is_refused_or_bounded(text: str) -> None:
    assert_bounded_number(text)


@FUZZ
@given(st.text(alphabet=ARITHMETIC_ALPHABET, max_size=120))
def test_arithmetic_looking_text_is_refused_or_bounded(text: str) -> None:
    assert_bounded_number(text)
