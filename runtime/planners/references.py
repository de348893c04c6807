"""Back-references between clauses, resolved after the rules have read each clause alone.

A clause can point at what an earlier one named: "show todo 2 and then mark *it*
complete", "I don't need todo 5 anymore, remove *it*", "add 8 and 4, then multiply
*that* by 6". The todo rules read such a pronoun as `PREVIOUS_ID` and the arithmetic
rules as `PREVIOUS_RESULT`; `resolve` then gives them their referent:

- an id: the id of the latest earlier clause that names one (its step, or a todo it
  mentions without a rule serving it: that clause was context, so it is served with no
  step of its own);
- a result: the expression of the calculator step just before, which the chained step
  replaces ("(8 + 4) * 6" is one calculation);
- a step that only repeats the step just before it ("I finished task 2, tick it off")
  is dropped;
- a clause that asks for the result just after a calculation ("take 875 away from 1,250
  and tell me what's left", "... how much is that?") is served by that calculation: it
  asks for no step of its own (and "what's left" is then no list request).

A pronoun with no referent leaves its clause unserved, as if no rule had read it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import JsonValue

from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools.calculator.expression_builder import PREVIOUS_RESULT
from crane_bench.runtime.tools.todo.rules import PREVIOUS_ID, mentioned_ids

Reading = tuple[str, list[PlanStep] | None]
"""A clause's text and the steps the rules read from it (None: not served)."""

CALCULATOR = "calculator"
_RESULT_REQUEST = re.compile(
    r"^(?:(?:tell|show|give)\s+me\s+)?(?:what(?:['’]s|\s+is)\s+(?:left|the\s+(?:result|answer|total))"
    r"|the\s+(?:result|answer|total)|how\s+much\s+(?:is|would\s+be)\s+(?:that|it|left))$",
    re.IGNORECASE,
)


def _last_id(done: list[list[PlanStep] | None], texts: list[str]) -> tuple[int, int] | None:
    """(clause index, id) of the latest earlier clause that names a todo id."""
    for index in range(len(done) - 1, -1, -1):
        steps = done[index]
        for step in reversed(steps or []):
            value = step.input.get("id")
            if isinstance(value, int) and value != PREVIOUS_ID:
                return index, value
        if steps is None and (ids := mentioned_ids(texts[index])):
            return index, ids[-1]
    return None


def _last_calculation(done: list[list[PlanStep] | None]) -> tuple[int, str] | None:
    """(clause index, expression) when the step just before is a calculation."""
    for index in range(len(done) - 1, -1, -1):
        steps = done[index]
        if steps:
            last = steps[-1]
            expression = last.input.get("expression")
            if last.tool == CALCULATOR and isinstance(expression, str):
                return index, expression
            return None
    return None


def _resolve_step(
    step: PlanStep, done: list[list[PlanStep] | None], texts: list[str]
) -> PlanStep | None:
    """The step with its back-reference filled in (None: no referent); `done` is updated."""
    if step.input.get("id") == PREVIOUS_ID:
        found = _last_id(done, texts)
        if found is None:
            return None
        index, value = found
        if done[index] is None:
            done[index] = []  # the clause that named the todo was context for this one
        return PlanStep(tool=step.tool, input={**step.input, "id": value})
    expression = step.input.get("expression")
    if step.tool == CALCULATOR and isinstance(expression, str) and PREVIOUS_RESULT in expression:
        previous = _last_calculation(done)
        if previous is None:
            return None
        index, before = previous
        done[index] = (done[index] or [])[:-1]  # the chained step replaces it
        chained: dict[str, JsonValue] = {
            "expression": expression.replace(PREVIOUS_RESULT, f"({before})")
        }
        return PlanStep(tool=CALCULATOR, input=chained)
    return step


def resolve(readings: Sequence[Reading]) -> list[Reading]:
    """Fill in every back-reference, in prompt order.

    Args:
        readings: Each clause's text and steps as the rules read it alone.

    Returns:
        The same clauses: references resolved, repeated steps dropped, clauses whose
        reference has no referent unserved, and context clauses served with no step.
    """
    texts = [text for text, _ in readings]
    done: list[list[PlanStep] | None] = []
    for text, steps in readings:
        if _RESULT_REQUEST.match(text) and _last_calculation(done) is not None:
            done.append([])  # "..., and tell me what's left": the calculation answers it
            continue
        if steps is None:
            done.append(None)
            continue
        resolved: list[PlanStep] | None = []
        for step in steps:
            new = _resolve_step(step, done, texts)
            if new is None:
                resolved = None
                break
            assert resolved is not None
            resolved.append(new)
        if resolved is not None:
            before = next((s[-1] for s in reversed(done) if s), None)
            if resolved and before is not None and resolved[0] == before:
                resolved = resolved[1:]  # "I finished task 2, tick it off": one step
        done.append(resolved)
    return list(zip(texts, done, strict=True))
