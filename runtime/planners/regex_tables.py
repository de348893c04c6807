"""Ordered regex tables with a one-scan prefilter: the rules' hot path, unchanged in effect.

The pattern planner reads a clause through tables of regexes tried in order: "the first
that matches serves", or "each substitutes in turn". For most clauses no regex of a
table applies, and trying each one costs a Python call per regex. One compiled
alternation of the whole table answers "does any apply here?" in a single call; only
when one does is the table walked as before, so the result is the same by construction:

- `first_match`: if no regex matches at the start of the text, none of them does;
- `substitute`: if no regex finds anything in the text, no substitution changes it, and
  so none of the later ones sees a different text either.

Profiling a pattern plan over the gold suite showed regex calls from these tables as the
largest share of its time (about 60 `sub` and 115 `match` calls per plan).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import Final

# A named group's name may repeat across the table's regexes, which one pattern forbids;
# the alternation only answers yes or no, so its groups need no names.
_NAMED_GROUP: Final = re.compile(r"(?<!\\)\(\?P<\w+>")
_SCOPED_FLAGS: Final = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))

Replacement = str | Callable[[re.Match[str]], str]


def any_of(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One regex that matches wherever any of `patterns` matches, each with its own flags.

    Raises:
        ValueError: A pattern uses a flag that cannot be scoped to its branch
            (`re.VERBOSE`, `re.ASCII`), or a back-reference to a named group.
    """
    branches = []
    for pattern in patterns:
        if pattern.flags & (re.VERBOSE | re.ASCII) or "(?P=" in pattern.pattern:
            raise ValueError(f"cannot join {pattern.pattern!r} into one alternation")
        letters = "".join(letter for flag, letter in _SCOPED_FLAGS if pattern.flags & flag)
        source = _NAMED_GROUP.sub("(?:", pattern.pattern)
        branches.append(f"(?{letters}:{source})" if letters else f"(?:{source})")
    return re.compile("|".join(branches) or r"(?!)")


class SubstitutionTable:
    """Substitutions applied in order, each to the result of the one before."""

    def __init__(self, rules: Sequence[tuple[re.Pattern[str], Replacement]]) -> None:
        self.rules = tuple(rules)

    @cached_property
    def _any(self) -> re.Pattern[str]:
        # Built on first use, like the rules' own compiled regexes: importing the
        # planner stays cheap for commands that never plan.
        return any_of(pattern for pattern, _ in self.rules)

    def apply(self, text: str) -> str:
        """`text` after every substitution of the table, in order."""
        if self._any.search(text) is None:
            return text
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return text
