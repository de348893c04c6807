"""Plans as text for people: one line per step and per input key, and what differs.

The report shows a failing trial's expected and actual plans side by side, lines that only
one side has marked, and a few short sentences saying what differs. The comparison here
is textual and only guides the eye; whether a plan is right was decided by the scorer
(`evals.matching`), which forgives spacing and equivalent expressions.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import JsonValue

ANY_OF: Final = "any_of"
NO_TOOL: Final = "(no tool call: abstain)"
NO_PLAN: Final = "(no plan)"
MAX_VALUE_CHARS: Final = 300

Step = tuple[str, Mapping[str, JsonValue]]
"""A step as (tool, input): the same shape for expected and actual plans."""


@dataclass(frozen=True)
class PlanLine:
    """One line of a plan as shown; `changed` when the other side has no such line."""

    text: str
    changed: bool = False


def value_text(value: JsonValue) -> str:
    """A JSON value for reading: `{any_of: [a, b]}` becomes `a | b`; long text is cut."""
    if isinstance(value, dict) and set(value) == {ANY_OF} and isinstance(value[ANY_OF], list):
        text = " | ".join(value_text(option) for option in value[ANY_OF])
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def plan_lines(steps: Sequence[Step] | None) -> list[str]:
    """`1 calculator` then `    expression: "2+2"` per input key; abstain and no plan named."""
    if steps is None:
        return [NO_PLAN]
    if not steps:
        return [NO_TOOL]
    lines: list[str] = []
    for number, (tool, inputs) in enumerate(steps, start=1):
        lines.append(f"{number} {tool}")
        lines += [f"    {key}: {value_text(inputs[key])}" for key in sorted(inputs)]
    return lines


def one_line(steps: Sequence[Step] | None) -> str:
    """`calculator(expression="2+2") → todo_store(action="list")` on one line."""
    if steps is None:
        return NO_PLAN
    if not steps:
        return NO_TOOL
    calls = []
    for tool, inputs in steps:
        args = ", ".join(f"{key}={value_text(inputs[key])}" for key in sorted(inputs))
        calls.append(f"{tool}({args})")
    return " → ".join(calls)


def side_by_side(
    expected: Sequence[Step] | None, actual: Sequence[Step] | None
) -> tuple[list[PlanLine], list[PlanLine]]:
    """Both plans as lines, each line marked when the other side lacks it."""
    left, right = plan_lines(expected), plan_lines(actual)
    left_kept: set[int] = set()
    right_kept: set[int] = set()
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for block in matcher.get_matching_blocks():
        left_kept.update(range(block.a, block.a + block.size))
        right_kept.update(range(block.b, block.b + block.size))
    return (
        [PlanLine(text, i not in left_kept) for i, text in enumerate(left)],
        [PlanLine(text, i not in right_kept) for i, text in enumerate(right)],
    )


def steps(n: int) -> str:
    """`1 step`, `2 steps`."""
    return f"{n} step" if n == 1 else f"{n} steps"


def _step_differences(number: int, expected: Step, actual: Step) -> list[str]:
    (want_tool, want), (got_tool, got) = expected, actual
    if want_tool != got_tool:
        return [f"step {number}: tool {want_tool} → {got_tool}"]
    found: list[str] = []
    for key in sorted(set(want) | set(got)):
        if key not in got:
            found.append(f"step {number}: {key} missing (expected {value_text(want[key])})")
        elif key not in want:
            found.append(f"step {number}: unexpected {key} {value_text(got[key])}")
        elif value_text(want[key]) != value_text(got[key]):
            found.append(f"step {number}: {key} {value_text(want[key])} → {value_text(got[key])}")
    return found


def differences(expected: Sequence[Step] | None, actual: Sequence[Step] | None) -> list[str]:
    """Short sentences on how the actual plan departs from the expected one (may be empty)."""
    if expected is None:
        return ["expected plan unknown (case file not found)"]
    if actual is None:
        return ["no plan came back"]
    if not expected and actual:
        return [f"expected no tool call, got {steps(len(actual))}"]
    if expected and not actual:
        return [f"expected {steps(len(expected))}, got no tool call"]
    found: list[str] = []
    if len(expected) != len(actual):
        found.append(f"expected {steps(len(expected))}, got {len(actual)}")
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        found += _step_differences(number, want, got)
    return found
