"""The calculator: what it computes, and every class of expression it refuses."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.tools import CalculatorInput, CalculatorTool, evaluate


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 + 3", 5),
        ("2 - 3", -1),
        ("6 * 7", 42),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("2 ** 10", 1024),
        ("2 ** -2", 0.25),
        ("-3", -3),
        ("+3", 3),
        ("--3", 3),
        ("-(2 + 3)", -5),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("2 * 3 ** 2", 18),
        ("-2 ** 2", -4),
        ("(-2) ** 2", 4),
        ("2 ** 3 ** 2", 512),
        ("10 - 4 - 3", 3),
        ("100 / 10 / 5", 2.0),
        ("((1 + 2) * (3 + 4)) - ((5))", 16),
        ("1.5 + 2.25", 3.75),
        (".5 * 4", 2.0),
        ("1e3", 1000.0),
        ("2.5e-3 * 1000", 2.5),
        ("15 / 100 * 80", 12.0),
        ("sqrt(16)", 4.0),
        ("sqrt(2) ** 2", pytest.approx(2.0)),
        ("abs(-4.5)", 4.5),
        ("abs(-4)", 4),
        ("round(2.567)", 3),
        ("round(2.567, 2)", 2.57),
        ("round(1234, -2)", 1200),
        ("round(2.567, 4 / 2)", 2.57),
        ("min(3, 1, 2)", 1),
        ("max(3, 1.5, 2)", 3),
        ("max(7)", 7),
        ("pi", math.pi),
        ("e", math.e),
        ("2 * pi", 2 * math.pi),
        ("sqrt(16) + 2", 6.0),
        ("max(3, 7) - min(2, abs(-5))", 5),
        ("  1 + 1  ", 2),
        ("3 × 4 − 2 ÷ 2", 11.0),
        ("1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10", 55),
        ("10 ** 100", 10**100),
        ("0 ** 0", 1),
    ],
)
def test_computes(expression: str, expected: object) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("6 * 7", int),
        ("7 // 2", int),
        ("2 ** 10", int),
        ("round(2.5)", int),
        ("6 / 3", float),
        ("2 ** -1", float),
        ("sqrt(16)", float),
        ("1.0 + 1", float),
        ("round(2.567, 2)", float),
    ],
)
def test_int_arithmetic_stays_int_and_the_rest_is_float(expression: str, kind: type) -> None:
    assert type(evaluate(expression)) is kind


def test_a_long_flat_sum_is_not_nesting() -> None:
    expression = " + ".join(["1"] * 120)
    assert len(expression) <= 500
    assert evaluate(expression) == 120


def test_magnitude_limit_is_inclusive() -> None:
    assert evaluate("1e100") == 1e100
    assert evaluate("-(10 ** 100)") == -(10**100)
    assert evaluate("round(1e100)") == int(1e100)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        # classic injections
        ("__import__('os').system('ls')", "attributes are not allowed"),
        ("__import__('os')", "unknown function '__import__'"),
        ("open('/etc/passwd').read()", "attributes are not allowed"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("().__class__.__bases__[0].__subclasses__()", "attributes are not allowed"),
        ("lambda: 1", "lambdas are not allowed"),
        ("[x for x in range(10)]", "comprehensions are not allowed"),
        ("(x for x in range(10))", "comprehensions are not allowed"),
        ("'a' * 10", "strings are not allowed"),
        ("b'a'", "bytes are not allowed"),
        ("f'{1 + 1}'", "f-strings are not allowed"),
        # names, attributes, subscripts, calls
        ("os", "unknown name 'os'"),
        ("x + 1", "unknown name 'x'"),
        ("sqrt", "unknown name 'sqrt' (use sqrt(...))"),
        ("pi.real", "attributes are not allowed"),
        ("(1).real", "attributes are not allowed"),
        ("pi[0]", "subscripts are not allowed"),
        ("eval('1')", "unknown function 'eval'"),
        ("exec('1')", "unknown function 'exec'"),
        ("pow(2, 3)", "unknown function 'pow'"),
        ("(1)(2)", "only these functions can be called"),
        ("round(2.5, ndigits=1)", "keyword arguments are not allowed"),
        ("max(*[1, 2])", "starred expressions are not allowed"),
        # other expression kinds
        ("1 < 2", "comparisons are not allowed"),
        ("1 == 1", "comparisons are not allowed"),
        ("1 and 2", "boolean operators"),
        ("1 or 2", "boolean operators"),
        ("not 1", "boolean operators"),
        ("1 if 1 else 2", "conditional expressions are not allowed"),
        ("(y := 3)", "assignments (:=) are not allowed"),
        ("(1, 2)", "lists, tuples, sets and dicts are not allowed"),
        ("[1, 2]", "lists, tuples, sets and dicts are not allowed"),
        ("{1: 2}", "lists, tuples, sets and dicts are not allowed"),
        ("True + 1", "True is not a number"),
        ("None", "None is not a number"),
        ("...", "Ellipsis is not a number"),
        ("2j", "complex numbers are not allowed"),
        # operators that are not arithmetic
        ("2 ^ 3", "operator '^' is not supported; use '**' for powers"),
        ("2 & 3", "operator '&' is not supported"),
        ("2 | 3", "operator '|' is not supported"),
        ("2 << 3", "operator '<<' is not supported"),
        ("2 >> 3", "operator '>>' is not supported"),
        ("~2", "operator '~' is not supported"),
        # arithmetic faults
        ("1 / 0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("1.5 / 0.0", "division by zero"),
        ("1 % 0", "modulo by zero"),
        ("0 ** -1", "division by zero"),
        ("sqrt(-1)", "square root of a negative number"),
        ("(-8) ** (1 / 3)", "a negative number to a fractional power has no real value"),
        # function arity and arguments
        ("sqrt()", "sqrt() takes exactly 1 argument, got 0"),
        ("abs(1, 2)", "abs() takes exactly 1 argument, got 2"),
        ("round(1, 2, 3)", "round() takes 1 or 2 arguments, got 3"),
        ("min()", "min() takes at least 1 argument, got 0"),
        ("round(2.5, 1.5)", "round() needs a whole number of digits"),
        ("round(2.5, 101)", "round() digits must be between -100 and 100"),
        # syntax
        ("1 +", "not a valid arithmetic expression: "),
        ("(1 + 2", "not a valid arithmetic expression: "),
        ("import os", "not a valid arithmetic expression: "),
        ("1; 2", "not a valid arithmetic expression: "),
        ("x = 1", "not a valid arithmetic expression: "),
        ("", "empty expression"),
        ("   ", "empty expression"),
    ],
)
def test_refuses(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError) as info:
        evaluate(expression)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9 ** 9 ** 9 ** 9", "exponent too large"),
        ("2 ** 100000", "exponent too large"),
        ("10 ** 200", "exponent too large"),
        ("1.0000001 ** 1e10", "exponent too large"),
        ("0.1 ** -200", "exponent too large"),
        ("10 ** 101", "result too large (limit 1e100)"),
        ("1e100 * 10", "result too large"),
        ("10 ** 100 + 10 ** 100", "result too large"),
        ("1e100 / 1e-100", "result too large"),
        ("1e101", "number too large"),
        ("1e999", "number too large"),
        ("1" * 102, "number too large"),
        ("round(1e100, 0) * 2", "result too large"),
    ],
)
def test_refuses_large_values_before_computing_them(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError, match="too large") as info:
        evaluate(expression)
    assert message in str(info.value)


def test_refuses_deep_nesting() -> None:
    with pytest.raises(CalculatorError, match="nested too deeply"):
        evaluate("-" * 60 + "1")
    with pytest.raises(CalculatorError, match="nested too deeply"):
        evaluate("1 - (" * 60 + "1" + ")" * 60)
    with pytest.raises(CalculatorError, match="nested too deeply"):
        evaluate("abs(" * 60 + "1" + ")" * 60)


def test_accepts_nesting_up_to_the_limit() -> None:
    assert evaluate("abs(" * 48 + "-1" + ")" * 48) == 1  # 48 calls + a sign + the number


def test_refuses_parser_limits() -> None:
    # CPython refuses 200+ nested parentheses in the parser itself.
    with pytest.raises(CalculatorError, match="not a valid arithmetic expression"):
        evaluate("(" * 240 + "1" + ")" * 240)
    with pytest.raises(CalculatorError, match="not a valid arithmetic expression"):
        evaluate("1\x00")


def test_refuses_a_long_expression_before_parsing() -> None:
    with pytest.raises(
        CalculatorError, match=r"expression too long \(10000 characters; limit 500\)"
    ):
        evaluate("1+" * 4999 + "11")


def test_float_overflow_is_refused_not_returned_as_inf() -> None:
    for expression in ["1e100 * 1e100", "1e308 * 10", "-1e100 * 1e100"]:
        with pytest.raises(CalculatorError):
            evaluate(expression)


async def test_tool_runs_the_expression() -> None:
    tool = CalculatorTool()
    assert tool.name == "calculator"
    assert await tool.run(CalculatorInput(expression="12 * 7")) == 84


async def test_tool_raises_calculator_error() -> None:
    with pytest.raises(CalculatorError, match="division by zero"):
        await CalculatorTool().run(CalculatorInput(expression="1 / 0"))


def test_description_tells_a_planner_what_it_accepts() -> None:
    description = CalculatorTool.description
    for word in ["+ - * / // % **", "sqrt", "abs", "round", "min", "max", "pi and e"]:
        assert word in description


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"expression": ""},
        {"expression": "1" * 501},
        {"expression": 12},
        {"expression": "1", "extra": True},
    ],
)
def test_input_model_refuses(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CalculatorInput.model_validate(raw)
