"""The `calculator` tool: safe arithmetic over a Python-syntax expression.

The expression is parsed with `ast.parse(mode="eval")` and walked; nothing is ever handed
to `eval` or `exec`. Two passes keep refusals predictable:

1. `_check` walks the tree once, iteratively, and refuses anything that is not plain
   arithmetic (names, attributes, calls of unknown functions, strings, ...) or that
   nests too deeply. The message names the offending construct, not Python internals.
2. `_value` computes, checking magnitudes *before* each costly step: an exponent is
   bounded and the size of a power is estimated with logarithms, so `9 ** 9 ** 9 ** 9`
   is refused at once instead of computed. Every intermediate value stays within
   `MAX_MAGNITUDE`, so each operation works on numbers of a few hundred bits at most.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from crane_bench.runtime.errors import CalculatorError

Number = int | float

MAX_EXPRESSION_LENGTH = 500
MAX_DEPTH = 50
MAX_EXPONENT = 10_000
# A float on purpose: ints compare exactly against it, and round(1e100) must pass.
MAX_MAGNITUDE = 1e100
MAX_ROUND_DIGITS = 100
_MAX_LOG10 = 100  # log10(MAX_MAGNITUDE), for messages and the power estimate

# Typographic operators people paste from documents; normalised before parsing.
_UNICODE_OPERATORS = str.maketrans({"×": "*", "÷": "/", "−": "-"})

CONSTANTS = MappingProxyType({"pi": math.pi, "e": math.e})

_BINARY_SYMBOLS = MappingProxyType(
    {
        ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|",
        ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
    }
)  # fmt: skip
_ARITHMETIC = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow})

# Constructs refused by `_check`, with what a user is told.
_REFUSED: tuple[tuple[type[ast.AST] | tuple[type[ast.AST], ...], str], ...] = (
    (ast.Attribute, "attributes are not allowed"),
    ((ast.Subscript, ast.Slice), "subscripts are not allowed"),
    (ast.Lambda, "lambdas are not allowed"),
    (
        (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
        "comprehensions are not allowed",
    ),
    ((ast.List, ast.Tuple, ast.Set, ast.Dict), "lists, tuples, sets and dicts are not allowed"),
    (ast.JoinedStr, "f-strings are not allowed"),
    (ast.Compare, "comparisons are not allowed"),
    (ast.BoolOp, "boolean operators (and, or, not) are not allowed"),
    (ast.IfExp, "conditional expressions are not allowed"),
    (ast.Starred, "starred expressions are not allowed"),
    (ast.NamedExpr, "assignments (:=) are not allowed"),
)


class CalculatorInput(BaseModel):
    """Input of the `calculator` tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION_LENGTH,
        description=(
            "Arithmetic in Python syntax, e.g. '(2 + 3) * 4' or 'sqrt(16) + round(2.567, 2)'."
        ),
        examples=["12 * 7", "15 / 100 * 80", "2 ** 10 - max(3, 7)"],
    )


class CalculatorTool:
    """Evaluates an arithmetic expression and returns the number."""

    name = "calculator"
    description = (
        "Evaluate an arithmetic expression in Python syntax and return the number. "
        "Supports + - * / // % ** (power; '^' is not power), unary + and -, parentheses, "
        "integers, decimals and 1e3 notation, the functions sqrt, abs, round (1 or 2 "
        "arguments), min and max, and the constants pi and e. Nothing else: no variables, "
        "text, comparisons or other functions."
    )
    input_model = CalculatorInput

    async def run(self, tool_input: CalculatorInput) -> int | float:
        """Evaluate the expression.

        Raises:
            CalculatorError: The expression is malformed, not arithmetic, or out of bounds.
        """
        return evaluate(tool_input.expression)


def evaluate(expression: str) -> int | float:
    """Safely evaluate an arithmetic expression.

    Integer arithmetic (+ - * // % and ** with a non-negative exponent) stays `int`;
    `/`, `sqrt`, floats and negative exponents give a `float`, as in Python.

    Args:
        expression: Arithmetic in Python syntax; `×`, `÷` and `−` are read as `*`, `/`, `-`.

    Returns:
        The value, finite and at most `MAX_MAGNITUDE` in absolute value.

    Raises:
        CalculatorError: The expression is too long, malformed, not plain arithmetic,
            divides by zero, or its value (or any intermediate value) is out of bounds.
    """
    return _value(_parse(expression))


def check(expression: str) -> None:
    """Refuse `expression` unless it is plain arithmetic, without computing anything.

    What this refuses is the expression's shape: syntax, names, unsupported constructs,
    wrong argument counts, too long or too deep. Failures that depend on values
    (division by zero, bounds, the root of a negative number) only `evaluate` finds.

    Raises:
        CalculatorError: The expression is not plain arithmetic.
    """
    _parse(expression)


def _parse(expression: str) -> ast.expr:
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CalculatorError(
            f"expression too long ({len(expression)} characters; limit {MAX_EXPRESSION_LENGTH})"
        )
    text = expression.translate(_UNICODE_OPERATORS).strip()
    if not text:
        raise CalculatorError("empty expression")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"not a valid arithmetic expression: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        # The parser's own limits (null bytes, very deep nesting) in some Python versions.
        raise CalculatorError("not a valid arithmetic expression") from None
    _check(tree.body)
    return tree.body


def _check(root: ast.expr) -> None:
    """Refuse anything but plain arithmetic, before any computing.

    Depth counts real nesting: a left-associative chain like `1 + 2 + ... + 99` is one
    level, while every parenthesised right operand, unary sign or call adds one.
    """
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CalculatorError(f"expression is nested too deeply (limit {MAX_DEPTH} levels)")
        _check_node(node)
        if isinstance(node, ast.BinOp):
            stack += [(node.left, depth), (node.right, depth + 1)]
        elif isinstance(node, ast.UnaryOp):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            stack += [(arg, depth + 1) for arg in node.args]


def _check_node(node: ast.AST) -> None:
    for kinds, message in _REFUSED:
        if isinstance(node, kinds):
            raise CalculatorError(message)
    match node:
        case ast.Constant(value=value):
            _check_constant(value)
        case ast.Name(id=name):
            if name not in CONSTANTS:
                hint = f" (use {name}(...))" if name in FUNCTIONS else ""
                raise CalculatorError(f"unknown name {name!r}{hint}")
        case ast.BinOp(op=op):
            if type(op) not in _ARITHMETIC:
                symbol = _BINARY_SYMBOLS.get(type(op), type(op).__name__)
                hint = "; use '**' for powers" if isinstance(op, ast.BitXor) else ""
                raise CalculatorError(f"operator {symbol!r} is not supported{hint}")
        case ast.UnaryOp(op=op):
            if isinstance(op, ast.Not):
                raise CalculatorError("boolean operators (and, or, not) are not allowed")
            if isinstance(op, ast.Invert):
                raise CalculatorError("operator '~' is not supported")
        case ast.Call(func=func, args=args, keywords=keywords):
            _check_call(func, keywords, len(args))
        case _:
            raise CalculatorError(f"{type(node).__name__} expressions are not allowed")


def _check_constant(value: object) -> None:
    if isinstance(value, str):
        raise CalculatorError("strings are not allowed")
    if isinstance(value, bytes):
        raise CalculatorError("bytes are not allowed")
    if isinstance(value, complex):
        raise CalculatorError("complex numbers are not allowed")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorError(f"{value!r} is not a number")
    _bounded(value, "number")


def _check_call(func: ast.expr, keywords: Sequence[ast.keyword], n_args: int) -> None:
    if isinstance(func, ast.Attribute):
        raise CalculatorError("attributes are not allowed")
    if not isinstance(func, ast.Name):
        raise CalculatorError(f"only these functions can be called: {_function_list()}")
    if func.id not in FUNCTIONS:
        raise CalculatorError(f"unknown function {func.id!r} (known: {_function_list()})")
    if keywords:
        raise CalculatorError("keyword arguments are not allowed")
    _arity(func.id, n_args, *ARITY[func.id])


def _function_list() -> str:
    return ", ".join(sorted(FUNCTIONS))


def _bounded(value: Number, what: str = "result") -> Number:
    # An int is compared with the bound exactly: `math.isfinite` would convert it to a
    # float, which raises OverflowError from 2**1024 on (a 309-digit literal).
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
        raise CalculatorError(f"{what} too large (limit 1e{_MAX_LOG10})")
    return value


def _value(node: ast.expr) -> Number:
    """Compute a tree that `_check` accepted; every value returned is bounded."""
    match node:
        case ast.Constant(value=int() | float() as value):
            return value
        case ast.Name(id=name):
            return CONSTANTS[name]
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_value(operand)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return +_value(operand)
        case ast.BinOp(left=left, op=op, right=right):
            return _binary(op, _value(left), _value(right))
        case ast.Call(func=ast.Name(id=name), args=args):
            return _bounded(_CALLS[name]([_value(arg) for arg in args]))
    # `_check` lets nothing else through; this guards against the two drifting apart.
    raise CalculatorError(f"{type(node).__name__} expressions are not allowed")


def _binary(op: ast.operator, a: Number, b: Number) -> Number:
    result: Number
    try:
        match op:
            case ast.Add():
                result = a + b
            case ast.Sub():
                result = a - b
            case ast.Mult():
                # Both factors are bounded, so the product has at most ~670 bits.
                result = a * b
            case ast.Div():
                result = a / b
            case ast.FloorDiv():
                result = a // b
            case ast.Mod():
                if b == 0:
                    raise CalculatorError("modulo by zero")
                result = a % b
            case ast.Pow():
                result = _power(a, b)
            case _:
                raise CalculatorError(f"operator {type(op).__name__} is not supported")
    except ZeroDivisionError:
        raise CalculatorError("division by zero") from None
    except OverflowError:
        raise CalculatorError(f"result too large (limit 1e{_MAX_LOG10})") from None
    return _bounded(result)


def _power(base: Number, exponent: Number) -> Number:
    """`base ** exponent`, refused before computing when it would be too large."""
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponent too large ({exponent}; limit {MAX_EXPONENT})")
    if base < 0 and not float(exponent).is_integer():
        raise CalculatorError("a negative number to a fractional power has no real value")
    if base == 0 and exponent < 0:
        raise CalculatorError("division by zero (0 to a negative power)")
    if base != 0 and abs(base) != 1:
        digits = exponent * math.log10(abs(base))
        if digits > _MAX_LOG10 + 1:
            raise CalculatorError(
                f"exponent too large: the result would have about {int(digits)} digits "
                f"(limit 1e{_MAX_LOG10})"
            )
    result: Number = base**exponent
    return result


# The functions an expression may call; each takes its evaluated arguments.


def _arity(name: str, count: int, low: int, high: int | None) -> None:
    if count < low or (high is not None and count > high):
        if high is None:
            expected = f"at least {low}"
        elif low == high:
            expected = f"exactly {low}"
        else:
            expected = f"{low} or {high}" if high == low + 1 else f"{low} to {high}"
        plural = "" if expected.endswith(" 1") else "s"
        raise CalculatorError(f"{name}() takes {expected} argument{plural}, got {count}")


def _sqrt(args: list[Number]) -> Number:
    if args[0] < 0:
        raise CalculatorError("square root of a negative number")
    return math.sqrt(args[0])


def _abs(args: list[Number]) -> Number:
    return abs(args[0])


def _round(args: list[Number]) -> Number:
    if len(args) == 1:
        return round(args[0])
    value, digits = args
    if not float(digits).is_integer():
        raise CalculatorError("round() needs a whole number of digits")
    if abs(digits) > MAX_ROUND_DIGITS:
        raise CalculatorError(
            f"round() digits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}"
        )
    return round(value, int(digits))


def _min(args: list[Number]) -> Number:
    return min(args)


def _max(args: list[Number]) -> Number:
    return max(args)


_CALLS: MappingProxyType[str, Callable[[list[Number]], Number]] = MappingProxyType(
    {"sqrt": _sqrt, "abs": _abs, "round": _round, "min": _min, "max": _max}
)
FUNCTIONS = frozenset(_CALLS)
# Argument counts, checked with the shape before anything is computed: (least, most).
ARITY: MappingProxyType[str, tuple[int, int | None]] = MappingProxyType(
    {"sqrt": (1, 1), "abs": (1, 1), "round": (1, 2), "min": (1, None), "max": (1, None)}
)
