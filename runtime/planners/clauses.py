"""Split a prompt into clauses, cutting only where the cut helps the rules.

A prompt like "add milk and eggs to my list" must stay whole, while "add milk and then
list my todos" must be cut in two. Rather than guess from the words, `segment` finds
every separator ("and", "then", "and then", ", then", ";", "also", "after that", ", ",
a sentence end), then picks by dynamic programming the segmentation that

1. leaves the fewest clauses that no rule serves,
2. then serves the most clauses,
3. then cuts the most (so a trailing "and" or a polite "please" falls away).

A clause that says it comes first ("..., but first ...", "before that, ...") is moved
ahead of the clause before it. Separators inside quotes or parentheses are never cut
("add 'salt and pepper'", "max(3, 7)"). Leading fillers ("please", "can you", "first")
and trailing ones ("?", "thanks") are removed from every clause; a clause of fillers
only ("hi") is neutral.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# "(after) showing me my list": a request said as a gerund, read as the imperative.
_IMPERATIVES = {
    "showing": "show", "listing": "list", "telling": "tell", "checking": "check",
    "marking": "mark", "deleting": "delete", "removing": "remove",
    "calculating": "calculate", "working": "work",
}  # fmt: skip
# Not "adding": "(what happens after) adding salt" would become a bare "add salt".
_LEADING_GERUND = re.compile(rf"^({'|'.join(_IMPERATIVES)})\b", re.IGNORECASE)
_GERUND = rf"(?:{'|'.join(_IMPERATIVES)})"
_SEPARATOR = re.compile(
    r"(?:\s*(?:,\s*and\s+then\b|,\s*then\b|\band\s+then\b|\band\s+also\b"
    r"|\band\s+after\s+that\b,?|,\s*and\s+also\b|,\s*also\b|\bafter\s+that\b,?|;"
    r"|\bfollowed\s+by\b|\b(?:and\s+)?afterwards\b,?"
    # "add X after showing me my list": cut before "after", which the clause keeps
    rf"|(?=\bafter\s+{_GERUND}\b)"
    r"|\bthen\b|\band\b|\balso\b|,\s*and\b|[.!?](?=\s)|,)\s*)+",
    re.IGNORECASE,
)
# Spans that a cut must not enter: quoted text and parenthesized groups.
_PROTECTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*'(?!\w)|‘[^’]*’|\([^()]*\)")
_LEADING = re.compile(
    r"^(?:\s*(?:hi|hey|hello|ok|okay|so|please|pls|kindly|now|first(?:ly)?|next|finally|but"
    rf"|before\s+(?:that|you\s+do\s+that|anything\s+else)|after(?=\s+{_GERUND}\b)"
    r"|lastly|and|also|then|can\s+you|could\s+you|would\s+you(?:\s+mind)?|will\s+you"
    r"|i(?:['’]d|\s+would)\s+like\s+you\s+to|i\s+(?:want|need)\s+you\s+to|go\s+ahead\s+and"
    r"|(?:i\s+want|i\s+would\s+like|i['’]d\s+like)\s+to(?=\s+(?:add|put|delete|remove|mark"
    r"|tick|cross|see|check|rename|change|update))"
    r"|you\s+(?:can|may|could)|(?:two|three|a\s+couple\s+of|a\s+few)\s+things(?=\s*:)"
    r"|just|quickly|thanks|thank\s+you)\b[\s,!.:]*)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    # possessive: nested repeats over the same characters backtrack exponentially
    r"(?:[\s,]*+\b(?:please|pls|thanks|thank\s+you|for\s+me|too|as\s+well|afterwards)\b"
    r"|[\s?!.,;:]++)++$",
    re.IGNORECASE,
)
# "add paint to my list, but first tell me 25% of 80": the second clause comes first.
_GOES_FIRST = re.compile(
    r"^\s*(?:but\s+|and\s+)?(?:first(?:ly)?|before\s+(?:that|you\s+do\s+that|anything\s+else)"
    rf"|after\s+{_GERUND})\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s{2,}")
_MAX_SPAN = 8  # a clause spans at most this many separators (or is the whole prompt)
_MAX_CUTS = 24  # beyond this many separators the prompt is read as one clause


@dataclass(frozen=True, slots=True)
class Clause(Generic[T]):
    """One clause of a prompt and what a rule made of it.

    Attributes:
        text: The clause with fillers removed (case and inner text kept).
        result: What the matcher returned, or None when no rule served the clause.
    """

    text: str
    result: T | None
    goes_first: bool = False
    """The clause says it comes before the one it follows ("..., but first tell me ...")."""


def normalize_clause(text: str) -> str:
    """Remove leading fillers and trailing punctuation or politeness from one clause.

    Args:
        text: A raw clause, e.g. "Please add milk!".

    Returns:
        The clause ("add milk"); empty when it held fillers only.
    """
    text = _LEADING.sub("", text.strip())
    text = _LEADING_GERUND.sub(lambda m: _IMPERATIVES[m.group(1).lower()], text)
    return _TRAILING.sub("", text).strip()


def _cuts(prompt: str) -> list[tuple[int, int]]:
    protected = [m.span() for m in _PROTECTED.finditer(prompt)]
    return [
        m.span()
        for m in _SEPARATOR.finditer(prompt)
        if not any(start < m.start() < end for start, end in protected)
    ]


def _clause_starts(j: int, n: int) -> list[int]:
    """Pieces where a clause ending before piece `j` may start: a window, or the start."""
    first = max(0, j - _MAX_SPAN - 1)
    whole = [0] if first > 0 and j == n else []  # a long list title may span every cut
    return [*whole, *range(first, j)]


def segment(prompt: str, match: Callable[[str], T | None]) -> list[Clause[T]]:
    """Cut a prompt into the clauses that the rules serve best.

    Args:
        prompt: The whole prompt.
        match: Reads one normalized, non-empty clause; returns None when no rule fits.

    Returns:
        The chosen clauses in order, fillers-only clauses left out.
    """
    prompt = _SPACES.sub(" ", prompt)  # runs of spaces would make the rules backtrack
    cuts = _cuts(prompt)
    if len(cuts) > _MAX_CUTS:
        cuts = []  # bounds the work on pasted walls of text; such prompts rarely match
    n = len(cuts) + 1  # number of pieces between cuts
    starts = [0] + [end for _, end in cuts]
    ends = [start for start, _ in cuts] + [len(prompt)]
    # best[j]: (score, previous boundary, clause) of the best split of pieces [0, j).
    # The score is minimized: (unserved clauses, -served clauses, -pieces).
    best: list[tuple[tuple[int, int, int], int, Clause[T] | None] | None] = [None] * (n + 1)
    best[0] = ((0, 0, 0), -1, None)
    for j in range(1, n + 1):
        for i in _clause_starts(j, n):
            prev = best[i]
            if prev is None:
                continue
            text = normalize_clause(prompt[starts[i] : ends[j - 1]])
            raw = prompt[starts[i] : ends[j - 1]]
            clause = Clause(text, match(text), bool(_GOES_FIRST.match(raw))) if text else None
            unserved = int(clause is not None and clause.result is None)
            served = int(clause is not None and clause.result is not None)
            score = (prev[0][0] + unserved, prev[0][1] - served, prev[0][2] - 1)
            current = best[j]
            if current is None or score < current[0]:
                best[j] = (score, i, clause)
    clauses: list[Clause[T]] = []
    j = n
    while j > 0:
        entry = best[j]
        assert entry is not None  # every j is reachable from j - 1
        if entry[2] is not None:
            clauses.append(entry[2])
        j = entry[1]
    clauses.reverse()
    return in_stated_order(clauses)


def in_stated_order(clauses: list[Clause[T]]) -> list[Clause[T]]:
    """The clauses in the order the prompt asks for them.

    A clause that `goes_first` moves ahead of the clause it follows: "add paint to my
    list, but first tell me 25% of 80" is a calculation, then an add.
    """
    ordered: list[Clause[T]] = []
    for clause in clauses:
        if clause.goes_first and ordered:
            ordered.insert(len(ordered) - 1, clause)
        else:
            ordered.append(clause)
    return ordered
