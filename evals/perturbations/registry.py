"""The perturbation registry: named, deterministic rewrites of a prompt that keep its plan.

A perturbation is a function `(prompt, context) -> str | None`: the rewritten prompt, or
None when it does not apply to this prompt (no number to reformat, no word it may touch).
It must be deterministic given `context.rng`, and it must keep the meaning: a variant is
scored against its source case's expected plan. `context.protected` holds the words the
expected plan quotes (todo titles): a rewrite never changes them.

Perturbations register themselves by name at import (`@perturbation("casing")`); the
mapping is read-only after. A user adds their own the same way, in a module imported
before the run (the registry is a plain dict filled at import, like the planners').
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from crane_bench.runtime.errors import UserError

NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]*$")
ALL: Final = "all"


@dataclass(frozen=True)
class PerturbContext:
    """What a perturbation may read besides the prompt."""

    rng: random.Random
    """Seeded from the run's seed, the perturbation's name and the case id."""
    protected: frozenset[str]
    """Lower-case words quoted by the expected plan (todo titles); never changed."""
    step_tools: tuple[str, ...] = ()
    """The expected plan's tools in order (some rewrites only apply to certain plans)."""


Perturbation = Callable[[str, PerturbContext], str | None]
"""Rewrite a prompt, or return None when this perturbation does not apply to it."""

_REGISTRY: dict[str, Perturbation] = {}
PERTURBATIONS: Final[Mapping[str, Perturbation]] = MappingProxyType(_REGISTRY)
"""Every registered perturbation by name, in registration order."""


def perturbation(name: str) -> Callable[[Perturbation], Perturbation]:
    """Register the decorated function under `name` (lower case letters, digits, `_`).

    Raises:
        ValueError: The name is malformed or already taken.
    """
    if not NAME_PATTERN.match(name) or name == ALL:
        raise ValueError(f"bad perturbation name {name!r}")

    def register(func: Perturbation) -> Perturbation:
        if name in _REGISTRY:
            raise ValueError(f"perturbation {name!r} is registered twice")
        _REGISTRY[name] = func
        return func

    return register


def resolve_names(names: Iterable[str]) -> tuple[str, ...]:
    """Check and order perturbation names; `all` stands for every registered one.

    Raises:
        UserError: A name is not registered (the message lists the known ones).
    """
    wanted = [name.strip() for name in names if name.strip()]
    if ALL in wanted:
        return tuple(PERTURBATIONS)
    unknown = [name for name in wanted if name not in PERTURBATIONS]
    if unknown:
        known = ", ".join(sorted(PERTURBATIONS))
        raise UserError(f"unknown perturbation {unknown[0]!r}; known: {known}, or all")
    return tuple(dict.fromkeys(wanted))


def parse_perturb_option(value: str | None) -> tuple[str, ...]:
    """The `--perturb NAME,...|all` option as checked names (empty when not given).

    Raises:
        UserError: A name is not registered.
    """
    return resolve_names(value.split(",")) if value else ()
