"""How a planner's plan and a run's output are compared with a gold case. Pure functions.

Rules (documented for people in `evals/cases/README.md`):

- `{any_of: [a, b]}` in an expected value accepts anything that matches one of its options.
- Numbers compare numerically: `1 == 1.0`, floats within a relative 1e-9 (and an absolute
  1e-12, so that a float error near zero still counts as zero). Booleans are not numbers.
  An actual numeric string ("2") matches a number, as tool inputs accept it.
- Strings compare ignoring case, runs of whitespace, and quotes and punctuation at either end.
- An expected mapping matches when each of its keys matches (a subset); a list matches
  element-wise and in length; null matches only null.
- A step's input matches when it has the same keys (keys set to null are ignored) and each
  value matches. A calculator `expression` matches any expression of the same value; when
  the expected expression is refused by the calculator, the actual one must be refused
  too and read the same once whitespace and case are ignored.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from typing import Final, Protocol, TypeGuard

from pydantic import BaseModel, ConfigDict, JsonValue

from crane_bench.evals.cases import ANY_OF
from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.tools.calculator import evaluate

REL_TOL: Final = 1e-9
ABS_TOL: Final = 1e-12
CALCULATOR: Final = "calculator"
EXPRESSION: Final = "expression"

_EDGE_CHARS: Final = string.punctuation + string.whitespace + "“”‘’«»„‚`´"
_QUOTES: Final = "\"'`“”‘’"
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class StepLike(Protocol):
    """Anything with a tool name and an input: an expected step or a planned one."""

    @property
    def tool(self) -> str:
        """Registered tool name."""
        ...

    @property
    def input(self) -> Mapping[str, JsonValue]:
        """Tool input, plain JSON."""
        ...


class PlanComparison(BaseModel):
    """How a planned list of steps compares with the expected one."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    tools_match: bool
    """Same tool names, in the same order (so also the same number of steps)."""

    step_count_match: bool
    """Same number of steps."""

    args_match: bool
    """Same number of steps and every step's input matches the expected one."""

    exact_match: bool
    """Tools and inputs all right: the plan is what a correct planner makes."""

    step_matches: tuple[bool, ...]
    """Per position present in both plans: tool and input right."""


def is_any_of(value: object) -> TypeGuard[dict[str, list[JsonValue]]]:
    """True for an `{any_of: [...]}` alternative."""
    return isinstance(value, dict) and set(value) == {ANY_OF} and isinstance(value[ANY_OF], list)


def first_choice(value: JsonValue) -> JsonValue:
    """`value` with every `any_of` replaced by its first option, to execute an expected plan."""
    if is_any_of(value):
        return first_choice(value[ANY_OF][0])
    if isinstance(value, dict):
        return {key: first_choice(item) for key, item in value.items()}
    if isinstance(value, list):
        return [first_choice(item) for item in value]
    return value


def normalise_text(text: str) -> str:
    """Lower case, whitespace collapsed, quotes and punctuation stripped from both ends."""
    return " ".join(text.split()).casefold().strip(_EDGE_CHARS)


def normalise_expression(expression: str) -> str:
    """An expression without whitespace, in lower case, with surrounding quotes dropped."""
    return "".join(expression.split()).casefold().strip(_QUOTES)


def numbers_equal(expected: int | float, actual: int | float) -> bool:
    """Numeric equality: ints exactly, otherwise within a relative 1e-9."""
    if isinstance(expected, int) and isinstance(actual, int):
        return expected == actual
    try:
        return math.isclose(float(expected), float(actual), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    except OverflowError:  # an int too large for a float is never close to a float
        return False


def _as_number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(text := value.strip()):
        is_int = text.lstrip("+-").isdigit()
        return int(text) if is_int else float(text)
    return None


def match_value(expected: JsonValue, actual: object) -> bool:
    """Tell whether `actual` matches the expected value under the rules of this module."""
    if is_any_of(expected):
        return any(match_value(option, actual) for option in expected[ANY_OF])
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(match_value(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and match_value(item, actual[key]) for key, item in expected.items()
        )
    return _match_scalar(expected, actual)


def _match_scalar(expected: str | int | float | bool | None, actual: object) -> bool:
    if expected is None or isinstance(expected, bool):
        return actual is expected  # null and booleans are singletons; 1 is not True
    if isinstance(expected, str):
        return isinstance(actual, str) and normalise_text(expected) == normalise_text(actual)
    number = _as_number(actual)
    return number is not None and numbers_equal(expected, number)


def match_outcome(expected: JsonValue, actual: object) -> bool:
    """Tell whether a run's output matches a case's expected outcome (mappings as subsets)."""
    return match_value(expected, actual)


def _evaluate(expression: str) -> int | float | None:
    """The expression's value, or None when the calculator refuses it."""
    try:
        return evaluate(expression)
    except CalculatorError:
        return None


def match_expression(expected: JsonValue, actual: object) -> bool:
    """Tell whether a calculator expression matches the expected one by value.

    When the calculator refuses the expected expression (a case that must fail), the
    actual one matches only if it is refused too and reads the same, ignoring whitespace
    and case.
    """
    if is_any_of(expected):
        return any(match_expression(option, actual) for option in expected[ANY_OF])
    if not isinstance(expected, str):
        return match_value(expected, actual)
    if not isinstance(actual, str):
        return False
    expected_value = _evaluate(expected)
    actual_value = _evaluate(actual)
    if expected_value is None:
        return actual_value is None and (
            normalise_expression(expected) == normalise_expression(actual)
        )
    return actual_value is not None and numbers_equal(expected_value, actual_value)


def match_step_input(
    tool: str, expected_input: Mapping[str, JsonValue], actual_input: Mapping[str, object]
) -> bool:
    """Tell whether a step's input matches the expected input of a step of `tool`.

    Both must have the same keys, ignoring keys set to null; each value must match.
    """
    expected = {key: value for key, value in expected_input.items() if value is not None}
    actual = {key: value for key, value in actual_input.items() if value is not None}
    if set(expected) != set(actual):
        return False
    for key, value in expected.items():
        if tool == CALCULATOR and key == EXPRESSION:
            if not match_expression(value, actual[key]):
                return False
        elif not match_value(value, actual[key]):
            return False
    return True


def compare_plan(expected: Sequence[StepLike], actual: Sequence[StepLike]) -> PlanComparison:
    """Compare planned steps with the expected ones, position by position.

    Inputs are judged by the expected step's tool, so a step with the right input under a
    wrong tool name still counts for `args_match` (but not for `tools_match`).
    """
    tools_match = [step.tool for step in expected] == [step.tool for step in actual]
    count_match = len(expected) == len(actual)
    inputs = [
        match_step_input(e.tool, e.input, a.input) for e, a in zip(expected, actual, strict=False)
    ]
    steps = tuple(
        ok and e.tool == a.tool for ok, e, a in zip(inputs, expected, actual, strict=False)
    )
    args_match = count_match and all(inputs)
    return PlanComparison(
        tools_match=tools_match,
        step_count_match=count_match,
        args_match=args_match,
        exact_match=tools_match and args_match,
        step_matches=steps,
    )
