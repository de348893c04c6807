"""Derive perturbed variants of cases: each a case of its own that keeps the source's plan.

A variant's id is `<source id>.<perturbation>`, its prompt the rewrite, and it remembers
its source and perturbation (`VariantCase`), which the trial's row records. The random
generator of each rewrite is seeded from the run's seed, the perturbation and the case
id, so a run derives the same variants every time, in any order, in any process.

Adversarial cases are not perturbed: their exact characters are the test.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from typing import Final

from crane_bench.evals.cases import Case, ExpectedPlan, ExpectedStep
from crane_bench.evals.perturbations.order import SWAPS_STEPS
from crane_bench.evals.perturbations.registry import PERTURBATIONS, PerturbContext
from crane_bench.runtime.errors import UserError

DEFAULT_SEED: Final = 17
NOT_PERTURBED: Final = frozenset({"adversarial"})
"""Categories whose prompts are kept exactly as written."""
_READS_LIST: Final = frozenset({"list", "get"})
_TOKEN: Final = re.compile(r"\w+(?:'\w+)?")
_NOT_QUOTED: Final = frozenset({"expression", "action"})
"""Input keys whose values are not words of the prompt (matched by value, or an enum)."""


class VariantCase(Case):
    """A case derived from another by a perturbation; scored against the same plan."""

    source_case: str
    """The id of the case this variant was derived from."""
    perturbation: str
    """The name of the perturbation that rewrote the prompt."""


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def protected_words(case: Case) -> frozenset[str]:
    """Lower-case words the expected plan quotes in text inputs (todo titles)."""
    words: set[str] = set()
    for step in case.expected.steps:
        for key, value in step.input.items():
            if key in _NOT_QUOTED:
                continue
            for text in _strings(value):
                words.update(token.lower() for token in _TOKEN.findall(text))
    return frozenset(words)


def independent_steps(steps: Sequence[ExpectedStep]) -> bool:
    """True when neither step reads the list or touches the todo the other touches."""
    todo = [step.input for step in steps if step.tool == "todo_store"]
    if any(item.get("action") in _READS_LIST for item in todo):
        return False
    ids = [item.get("id") for item in todo if "id" in item]
    return len(ids) == len(set(map(str, ids)))


def seeded_rng(seed: int, name: str, case_id: str) -> random.Random:
    """A generator that depends only on the seed, the perturbation and the case."""
    digest = hashlib.sha256(f"{seed}:{name}:{case_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - not for secrets


def _expected_for(case: Case, name: str) -> ExpectedPlan | None:
    if name not in SWAPS_STEPS:
        return case.expected
    steps = case.expected.steps
    if case.expected.fails or len(steps) != 2 or not independent_steps(steps):
        return None
    return ExpectedPlan(steps=(steps[1], steps[0]))


def derive_variant(case: Case, name: str, seed: int = DEFAULT_SEED) -> VariantCase | None:
    """The variant of `case` under perturbation `name`, or None where it does not apply."""
    if case.category in NOT_PERTURBED or isinstance(case, VariantCase):
        return None
    expected = _expected_for(case, name)
    if expected is None:
        return None
    context = PerturbContext(
        rng=seeded_rng(seed, name, case.id),
        protected=protected_words(case),
        step_tools=tuple(step.tool for step in case.expected.steps),
    )
    prompt = PERTURBATIONS[name](case.prompt, context)
    if prompt is None or not prompt.strip() or prompt == case.prompt:
        return None
    fields = case.model_dump(exclude={"id", "prompt", "expected"})
    return VariantCase(
        **fields,
        id=f"{case.id}.{name}",
        prompt=prompt,
        expected=expected,
        source_case=case.id,
        perturbation=name,
    )


def with_variants(
    cases: Sequence[Case], names: Sequence[str], seed: int = DEFAULT_SEED
) -> list[Case]:
    """The cases followed by their variants, perturbation by perturbation.

    Raises:
        UserError: A variant's id is already a case's id.
    """
    if not names:
        return list(cases)
    ids = {case.id for case in cases}
    out = list(cases)
    for name in names:
        for case in cases:
            variant = derive_variant(case, name, seed)
            if variant is None:
                continue
            if variant.id in ids:
                raise UserError(f"perturbed case id {variant.id!r} is already a case's id")
            ids.add(variant.id)
            out.append(variant)
    return out
