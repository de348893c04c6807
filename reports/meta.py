"""Small pieces every report page shares: a verdict, labelled facts, and sections of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from crane_bench.plumbing.gates import GateCheck, GateStatus
from crane_bench.reports.formatting import Cell

MARKDOWN_FILE: Final = "summary.md"
JUNIT_FILE: Final = "junit.xml"


@dataclass(frozen=True)
class Verdict:
    """The one-line answer at the top of a page: did the run pass its gates."""

    passed: bool
    text: str


@dataclass(frozen=True)
class Fact:
    """A label and its value; `note` is a quiet remark beside the value."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A titled list of facts (the metadata at the end of a report)."""

    title: str
    facts: list[Fact] = field(default_factory=list)
    mono: bool = False
    """Show the values in a monospace font (hashes, settings)."""
    wide: bool = False
    """Span the full width (long labels such as file paths)."""


@dataclass(frozen=True)
class Column:
    """A table header: its label, what it means (shown on hover), and its alignment."""

    label: str
    help: str = ""
    numeric: bool = True


@dataclass(frozen=True)
class Row:
    """A table row: its heading cell (a planner, a request type) and its cells."""

    head: str
    cells: list[Cell]


@dataclass(frozen=True)
class GateLine:
    """One gate check as shown: PASS, FAIL, SKIP or IMPROVED, its tone, name and message."""

    status: str
    tone: str
    name: str
    message: str
    note: str = ""
    """A remark beneath the message: what the check could resolve, how it was decided."""


GATE_ORDER: Final[dict[GateStatus, int]] = {"fail": 0, "improved": 1, "pass": 2, "skip": 3}
GATE_TONES: Final[dict[GateStatus, str]] = {
    "fail": "bad",
    "improved": "improved",
    "pass": "good",
    "skip": "muted",
}


def gate_lines(
    checks: Sequence[GateCheck], notes: Mapping[int, str] | None = None
) -> list[GateLine]:
    """Eval or load gates as a page shows them, failures first.

    Then improvements, passes and skips; the order is kept within each. `notes` holds a
    remark per check, by its position in `checks`.
    """
    found = notes or {}
    ordered = sorted(enumerate(checks), key=lambda item: GATE_ORDER[item[1].status])
    return [
        GateLine(c.status.upper(), GATE_TONES[c.status], c.name, c.message, found.get(i, ""))
        for i, c in ordered
    ]


@dataclass(frozen=True)
class ReportFiles:
    """The files a report build wrote into the run directory."""

    html: Path
    markdown: Path
    """`summary.md`: for a CI job summary or a pull-request comment."""
    junit: Path
    """`junit.xml`: one test case per gate."""
