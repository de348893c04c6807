"""Ordered regex tables with a one-scan prefilter: the rules' hot path, unchanged in effect.

The pattern planner reads a clause through tables of regexes tried in order: "the first
that matches serves", or "each substitutes in turn". For most clauses no regex of a
table applies, and trying each one costs a Python call per regex. One compiled
alternation of the whole table answers "does any apply here?" in a single call; only
when one does is the table walked as before, so the result is the same by construction:

- a first-match table (`Prefilter(..., anchored=True)`): if the alternation does not
  match at the start of the text, no regex of the table does;
- a `SubstitutionTable`: if the alternation finds nothing in the text, no substitution
  changes it, and so none of the later ones sees a different text either.

Profiling a pattern plan over the gold suite showed regex calls from these tables as the
largest share of its time (about 60 `sub` and 115 `match` calls per plan).

Compiling an alternation costs about what compiling its members does, and a one-shot
`crane-bench plan` reads each table once or twice: it would pay for the alternations
and never get the time back. So a `Prefilter` answers "maybe" for its first
`WARM_UP_USES` questions, and joins the regexes only when a process has asked more.
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
WARM_UP_USES: Final = 16
"""Questions a `Prefilter` answers "maybe" to before it joins its regexes."""


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


class Prefilter:
    """Rules out, in one call, that any regex of a table applies to a text.

    Args:
        patterns: The table's regexes (called once, when the alternation is built).
        anchored: Ask as `re.match` does (at the start), else as `re.search`.
    """

    def __init__(
        self, patterns: Callable[[], Iterable[re.Pattern[str]]], *, anchored: bool
    ) -> None:
        self._patterns = patterns
        self._anchored = anchored
        self._uses = 0

    @cached_property
    def joined(self) -> re.Pattern[str]:
        """The alternation of every regex of the table."""
        return any_of(self._patterns())

    def rules_out(self, text: str) -> bool:
        """True when no regex of the table can match `text`; False means "maybe"."""
        if self._uses < WARM_UP_USES:
            self._uses += 1
            return False
        found = self.joined.match(text) if self._anchored else self.joined.search(text)
        return found is None


class SubstitutionTable:
    """Substitutions applied in order, each to the result of the one before."""

    def __init__(self, rules: Sequence[tuple[re.Pattern[str], Replacement]]) -> None:
        self.rules = tuple(rules)
        self.prefilter = Prefilter(lambda: (pattern for pattern, _ in self.rules), anchored=False)

    def apply(self, text: str) -> str:
        """`text` after every substitution of the table, in order."""
        if self.prefilter.rules_out(text):
            return text
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return text
