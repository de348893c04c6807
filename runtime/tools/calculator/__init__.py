"""The `calculator` tool: safe arithmetic; its planner knowledge is in `plugin`."""

from crane_bench.runtime.tools.calculator.tool import (
    ARITY,
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_EXPRESSION_LENGTH,
    MAX_MAGNITUDE,
    MAX_ROUND_DIGITS,
    CalculatorInput,
    CalculatorTool,
    check,
    evaluate,
)

__all__ = [
    "ARITY",
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_EXPRESSION_LENGTH",
    "MAX_MAGNITUDE",
    "MAX_ROUND_DIGITS",
    "CalculatorInput",
    "CalculatorTool",
    "check",
    "evaluate",
]
