"""Word perturbations: typos in words that carry no meaning for the plan, and synonyms.

A word "carries meaning for the plan" when the expected plan quotes it (a todo title), it
is a number or a number word, a cue that tells which tool is wanted ("todo", "delete",
"plus": `runtime.planners.signals`), or a connective or operation word that shapes the
plan ("then", "from", "average": `STRUCTURE_WORDS`). Everything else (what, me, please,
could) may be misspelt; a user would still be understood.
"""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Final

from crane_bench.evals.perturbations.registry import PerturbContext, perturbation
from crane_bench.runtime.planners.number_words import parse_number_words
from crane_bench.runtime.planners.signals import has_arithmetic_signal, has_todo_signal

TYPO_RATE: Final = 0.2
"""Share of the eligible words misspelt (at least one)."""
_MIN_TYPO_LENGTH: Final = 4
STRUCTURE_WORDS: Final = frozenset(
    {
        "then", "also", "after", "afterwards", "before", "first", "from", "into", "over",
        "than", "with", "without", "each", "calc", "round", "rounded", "absolute",
        "average", "smallest", "largest", "biggest", "minimum", "maximum", "number",
    }
)  # fmt: skip
"""Connectives and operation words the cue lists miss: a typo there could change the plan."""
_WORD: Final = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")

SYNONYMS: Final = MappingProxyType(
    {
        "calculate": "work out",
        "compute": "calculate",
        "what is": "what's",
        "what's": "what is",
        "how much is": "what is",
        "show": "display",
        "display": "show",
        "delete": "remove",
        "remove": "delete",
        "todo": "task",
        "todos": "tasks",
        "task": "todo",
        "tasks": "todos",
        "to-do": "todo",
        "remind me to": "don't let me forget to",
    }
)
"""Verb and noun swaps that keep a request's meaning; longest phrases are tried first."""
_SYNONYM_PATTERN: Final = re.compile(
    r"(?<![\w'-])("
    + "|".join(re.escape(key) for key in sorted(SYNONYMS, key=len, reverse=True))
    + r")(?![\w'-])",
    re.IGNORECASE,
)


def is_plan_word(word: str, protected: frozenset[str]) -> bool:
    """True when changing `word` could change the plan (see the module docstring)."""
    lowered = word.lower()
    return (
        lowered in protected
        or lowered in STRUCTURE_WORDS
        or parse_number_words(lowered) is not None
        or has_todo_signal(lowered)
        or has_arithmetic_signal(f"1 {lowered}")
    )


def _misspell(word: str, choice: int) -> str:
    """One typo in `word`: swap two inner letters, drop one, or double one."""
    inner = max(1, min(choice % (len(word) - 2) + 1, len(word) - 2))
    kind = choice % 3
    if kind == 0 and word[inner] != word[inner + 1]:
        return word[:inner] + word[inner + 1] + word[inner] + word[inner + 2 :]
    if kind == 1:
        return word[:inner] + word[inner + 1 :]
    return word[:inner] + word[inner] + word[inner:]


@perturbation("typos")
def typos(prompt: str, context: PerturbContext) -> str | None:
    """Misspell `TYPO_RATE` of the words that carry no meaning for the plan."""
    spans = [
        match.span()
        for match in _WORD.finditer(prompt)
        if len(match.group()) >= _MIN_TYPO_LENGTH
        and "'" not in match.group()
        and not is_plan_word(match.group(), context.protected)
    ]
    if not spans:
        return None
    count = max(1, math.floor(len(spans) * TYPO_RATE))
    chosen = sorted(context.rng.sample(spans, count), reverse=True)
    text = prompt
    for start, end in chosen:
        text = text[:start] + _misspell(text[start:end], context.rng.randrange(1000)) + text[end:]
    return text


@perturbation("synonyms")
def synonyms(prompt: str, context: PerturbContext) -> str | None:
    """Swap verbs and nouns for synonyms from `SYNONYMS` (never inside a todo title)."""

    def swap(match: re.Match[str]) -> str:
        found = match.group(1)
        if any(word in context.protected for word in found.lower().split()):
            return found
        replacement = SYNONYMS[found.lower()]
        return replacement.capitalize() if found[:1].isupper() else replacement

    text = _SYNONYM_PATTERN.sub(swap, prompt)
    return text if text != prompt else None
