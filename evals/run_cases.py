"""The prompts and expected plans of an eval run, looked up from the case files it recorded.

`results.jsonl` rows name their case but do not carry its prompt or expected plan, so the
report reads the case files listed in the run's spec. A file is looked for where the spec
says, then relative to the run directory, then by name inside it (a run directory copied
elsewhere with its cases). A file whose sha256 differs from the recorded one is still
read, and the report warns that its expected plans may not be the ones the run used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from crane_bench.evals.cases import Case, load_case_file
from crane_bench.evals.errors import CaseFormatError
from crane_bench.evals.run_config import CaseFileRef


@dataclass(frozen=True)
class CaseFileStatus:
    """A recorded case file and what the report found of it."""

    path: str
    sha256: str
    status: str
    """`unchanged`, `changed`, `missing` or `unreadable`."""


@dataclass(frozen=True)
class CaseIndex:
    """The cases found, by id, and what went wrong finding the others."""

    cases: dict[str, Case] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """One line per file that was missing, unreadable or changed since the run."""
    files: list[CaseFileStatus] = field(default_factory=list)


def _candidates(recorded: Path, run_dir: Path) -> list[Path]:
    found = [recorded]
    if not recorded.is_absolute():
        found.append(run_dir / recorded)
    found.append(run_dir / recorded.name)
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_one(ref: CaseFileRef, run_dir: Path) -> tuple[list[Case], CaseFileStatus, str | None]:
    recorded = Path(ref.path)
    path = next((p for p in _candidates(recorded, run_dir) if p.is_file()), None)
    if path is None:
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


def load_case_index(refs: list[CaseFileRef], run_dir: Path) -> CaseIndex:
    """Read the recorded case files; never raises for a missing or changed file."""
    found: dict[str, Case] = {}
    notes: list[str] = []
    files: list[CaseFileStatus] = []
    for ref in refs:
        cases, status, note = _read_one(ref, run_dir)
        files.append(status)
        notes += [note] if note else []
        for case in cases:
            found.setdefault(case.id, case)
    return CaseIndex(found, notes, files)
