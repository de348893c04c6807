"""Integer literals of any size: bounded numbers come back exact, the rest are refused.

An int of 2**1024 or more cannot become a float; the calculator must never try, so a
309-to-500-digit literal is a `CalculatorError`, never an `OverflowError`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.planners.validation import arithmetic_problem
from crane_bench.runtime.tools import evaluate
from crane_bench.runtime.tools.calculator import MAX_EXPRESSION_LENGTH, MAX_MAGNITUDE, check

HUGE = "9" * 400

# Literals past float range, alone and inside every construct that converts or compares.
PAST_FLOAT_RANGE = [
    "9" * 309,
    HUGE,
    "9" * MAX_EXPRESSION_LENGTH,
    str(2**1024),
    f"-{HUGE}",
    f"1 + {HUGE}",
    f"{HUGE} / 3",
    f"2 ** {HUGE}",
    f"{HUGE} ** 0.5",
    f"sqrt({HUGE})",
    f"round(1.5, {HUGE})",
    f"max(1, {HUGE})",
    f"{HUGE}.0",
]

# Up to the largest literal the length limit lets through, with extra weight past 2**1024.
literals = st.one_of(
    st.integers(min_value=2**1024, max_value=10**400),
    st.integers(min_value=-(10 ** (MAX_EXPRESSION_LENGTH - 2)), max_value=10**498),
)


@pytest.mark.parametrize("expression", PAST_FLOAT_RANGE, ids=lambda e: e[:24])
def test_a_literal_past_float_range_is_refused_not_overflowed(expression: str) -> None:
    with pytest.raises(CalculatorError, match="too large"):
        evaluate(expression)
    with pytest.raises(CalculatorError):
        check(expression)
    problem = arithmetic_problem(expression)  # the plan validator's view: a refusal, no crash
    assert problem is not None


@settings(max_examples=300, deadline=None)
@given(literals)
def test_any_integer_literal_is_exact_or_refused(value: int) -> None:
    text = str(value)
    if abs(value) <= MAX_MAGNITUDE:
        assert evaluate(text) == value
        return
    with pytest.raises(CalculatorError, match="too large"):
        evaluate(text)


@settings(max_examples=300, deadline=None)
@given(literals, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), literals)
def test_any_two_literals_with_any_operator_are_bounded_or_refused(
    left: int, op: str, right: int
) -> None:
    text = f"{left} {op} ({right})"
    try:
        value = evaluate(text)
    except CalculatorError:
        return
    assert abs(value) <= MAX_MAGNITUDE
