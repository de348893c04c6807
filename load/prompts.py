"""The prompts a load run sends: varied templates, filled from a seeded generator.

One fixed string would load one code path and one cache line; real traffic varies in
numbers, wording and length. Each template is filled with random numbers and todo
titles, so a user draws a different prompt each time, and the same sequence again for
the same seed. Some prompts are meant to fail (a division by zero, completing a todo
that a fresh store does not have): those count as correct when the run fails, so a
load test also checks that failures stay failures.

The single-tool templates are declared by each tool's plug-in (`load_prompts`); they
are written for the load test and kept apart from the gold cases in `evals/`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final, Literal

from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

Kind = str
"""A tool's category (its plug-in's `category`: calculator, todo), or `multi_step`."""
Expect = Literal["completed", "failed"]

TITLES: Final = (
    "buy milk", "call the dentist", "water the plants", "pay the rent", "book flights",
    "renew the passport", "send the invoice", "clean the garage", "walk the dog",
    "review the report", "fix the bike", "order new ink", "plan the team lunch",
    "return the library books", "back up the laptop", "write to grandma",
    "check the smoke alarm", "file the expenses", "pick up the parcel", "defrost the freezer",
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    """A prompt with `{slots}`, its kind, and the status a correct run ends in."""

    text: str
    kind: Kind
    expect: Expect = "completed"


@dataclass(frozen=True)
class Prompt:
    """One drawn prompt."""

    text: str
    kind: Kind
    expect: Expect


MULTI_STEP: Final = "multi_step"
"""The kind of prompts that call more than one tool."""

_MULTI_STEP_TEMPLATES: Final[tuple[Template, ...]] = (
    Template("remind me to {title} then what is {big} divided by {c}", MULTI_STEP),
    Template("calculate {a} * {b} and add {title} to my list", MULTI_STEP),
    Template("what is {a} plus {b} and then multiply {c} by {d}", MULTI_STEP),
    Template("add {title} to my list, add {title2} to my list, then list my todos", MULTI_STEP),
    Template("remind me to {title} and then calculate ({a} + {b}) / {c}", MULTI_STEP),
)

TEMPLATES: Final[tuple[Template, ...]] = (
    *(
        Template(prompt.text, plugin.category, prompt.expect)
        for plugin in BUILTIN_TOOL_PLUGINS
        for prompt in plugin.load_prompts
    ),
    *_MULTI_STEP_TEMPLATES,
)
"""Each tool's own templates (its plug-in's `load_prompts`), then the multi-step ones."""
KINDS: Final[tuple[Kind, ...]] = (*BUILTIN_TOOL_PLUGINS.categories, MULTI_STEP)


def fill(template: Template, rng: random.Random) -> Prompt:
    """Fill every slot of `template` with values drawn from `rng`."""
    root = rng.randint(2, 40)
    title, title2 = rng.sample(TITLES, 2)
    slots = {
        "a": rng.randint(1, 999),
        "b": rng.randint(1, 999),
        "c": rng.randint(2, 50),
        "d": rng.randint(1, 9),
        "big": rng.randint(100, 99_999),
        "small": rng.randint(2, 12),
        "pct": rng.randint(1, 99),
        "square": root * root,
        "title": title,
        "title2": title2,
    }
    return Prompt(template.text.format(**slots), template.kind, template.expect)


class PromptPool:
    """Draws prompts of one kind from the templates, reproducibly for a seed.

    Args:
        seed: Seeds the generator; anything `random.Random` accepts as a seed.
        failing_share: Chance that a draw uses a template meant to fail (when the kind
            has one); the rest are drawn evenly from the templates meant to succeed.
    """

    def __init__(self, seed: int | str, *, failing_share: float = 0.05) -> None:
        if not 0 <= failing_share <= 1:
            raise ValueError(f"failing_share {failing_share} is not in [0, 1]")
        self._rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self._failing_share = failing_share

    def draw(self, kind: Kind) -> Prompt:
        """The next prompt of `kind`."""
        choices = [t for t in TEMPLATES if t.kind == kind]
        failing = [t for t in choices if t.expect == "failed"]
        if failing and self._rng.random() < self._failing_share:
            return fill(self._rng.choice(failing), self._rng)
        passing = [t for t in choices if t.expect == "completed"]
        return fill(self._rng.choice(passing), self._rng)
