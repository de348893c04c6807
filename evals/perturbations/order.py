"""Clause order: swap two independent requests joined by "and", "and also", ", and" or ";".

Order does not matter when neither request reads what the other changes: a calculation
beside a todo change, two calculations, two new todos. The variant asks for the same
steps in the other order, so its expected plan is the source's with the two steps
swapped (`swap_steps`), and the final outcome is no longer checked. Prompts that say the
order ("then", "after", "first", "it"), plans that read the list, and prompts with more
than one connective (an "and" inside a request: "add eggs and cheese, and ...") are left
alone.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.evals.perturbations.registry import PerturbContext, perturbation

_CONNECTIVE: Final = re.compile(
    r"\s*(?:,\s*and also|\s+and also|,\s*also|,\s*and|;)\s+|\s+and\s+", re.IGNORECASE
)
_ORDER_WORDS: Final = re.compile(
    r"\b(?:then|after|afterwards|before|first|next|finally|it|that|them|result)\b", re.I
)
_STEPS: Final = 2
SWAPS_STEPS: Final = frozenset({"clause_order"})
"""Perturbations whose variant expects the source's two steps in the other order."""


@perturbation("clause_order")
def clause_order(prompt: str, context: PerturbContext) -> str | None:
    """Swap the two requests of a two-step prompt whose steps do not depend on each other.

    `context.step_tools` must be the expected plan's tools; the caller also checks that
    neither step reads the todo list (see `independent_steps`).
    """
    if len(context.step_tools) != _STEPS or _ORDER_WORDS.search(prompt):
        return None
    parts = _CONNECTIVE.split(prompt.strip())
    connectives = _CONNECTIVE.findall(prompt.strip())
    if len(parts) != _STEPS or len(connectives) != 1:
        return None
    first, second = parts
    if not (first[:1].isalpha() and second[:1].isalpha()):  # "mark 1 and 3 as done"
        return None
    end = ""
    if second and second[-1] in ".!?":
        second, end = second[:-1], second[-1]
    joined = f"{second}{connectives[0]}{first[:1].lower() + first[1:]}{end}"
    return joined[:1].upper() + joined[1:] if prompt[:1].isupper() else joined
