"""The cases of an eval run, read from the case files its spec recorded.

A row carries its case's prompt and expected plan, but older rows do not, and a reader
may want the whole case; so the case files the run recorded are read again. Each is
found one way (`run_dir.locate_case_file`: where the spec says, relative to the run
directory, else by name inside it). A file whose sha256 differs from the recorded one is
still read, with a note that its expected plans may not be the ones the run used. A
missing or unreadable file is a note too, never an error: the rows are the run's record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crane_bench.evals.cases import Case, load_case_file
from crane_bench.evals.errors import CaseFormatError
from crane_bench.evals.run_config import CaseFileRef

CaseFileState = Literal["unchanged", "changed", "missing", "unreadable"]


@dataclass(frozen=True)
class CaseFileStatus:
    """A recorded case file and what the reader found of it."""

    path: str
    """Where it was looked for (`run_dir.locate_case_file`)."""
    sha256: str
    """The sha256 the run recorded."""
    status: CaseFileState


@dataclass(frozen=True)
class CaseIndex:
    """The cases found, by id, and what went wrong finding the others."""

    cases: dict[str, Case] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """One line per file that was missing, unreadable or changed since the run."""
    files: list[CaseFileStatus] = field(default_factory=list)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_one(ref: CaseFileRef) -> tuple[list[Case], CaseFileStatus, str | None]:
    path = Path(ref.path)
    if not path.is_file():
        note = f"case file {ref.path} not found: prompts and expected plans of its cases unknown"
        return [], CaseFileStatus(ref.path, ref.sha256, "missing"), note
    try:
        cases = load_case_file(path)
        digest = _sha256(path)
    except (CaseFormatError, OSError) as exc:
        note = f"case file {ref.path} unreadable: {exc}"
        return [], CaseFileStatus(ref.path, ref.sha256, "unreadable"), note
    if digest != ref.sha256:
        note = (
            f"case file {ref.path} changed since the run (sha256 differs): "
            "its expected plans may not be the ones the run scored against"
        )
        return cases, CaseFileStatus(ref.path, ref.sha256, "changed"), note
    return cases, CaseFileStatus(ref.path, ref.sha256, "unchanged"), None


def case_index(refs: list[CaseFileRef]) -> CaseIndex:
    """Read the case files of `refs` (paths already located); never raises for a file.

    Args:
        refs: The case files of a spec read through `RunDir.read_spec` or
            `RunDir.resolve`, so their paths open from here.
    """
    found: dict[str, Case] = {}
    notes: list[str] = []
    files: list[CaseFileStatus] = []
    for ref in refs:
        cases, status, note = _read_one(ref)
        files.append(status)
        notes += [note] if note else []
        for case in cases:
            found.setdefault(case.id, case)
    return CaseIndex(found, notes, files)
