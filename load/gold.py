"""The `gold` scenario's data: the cases it draws, what it submits, the rows it writes.

Cases come from the eval's case files (`evals.cases.load_cases`, the same format and
checks). Each user draws them from a `CaseDeck`: a seeded shuffle of every case, dealt
whole before any case comes again, so a short run still spreads over the suite and two
users do not send the same sequence. A case is submitted with its prompt and its
`setup` (`POST /api/v1/runs` takes the initial todos), so the service runs it on the
tools the eval would give it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from crane_bench.evals.cases import Case, load_cases
from crane_bench.evals.errors import CaseFormatError, RunLogError
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_reader import Rows, read_run
from crane_bench.load.errors import LoadConfigError, ResultError
from crane_bench.load.quality import QualityRow
from crane_bench.plumbing.run_files import write_atomically

M = TypeVar("M", bound=BaseModel)


def read_cases(paths: Sequence[Path]) -> list[Case]:
    """The gold cases of `paths` (files or directories), checked as `crane-bench cases check`.

    Raises:
        LoadConfigError: A path is missing, a case is malformed, or there is no case.
    """
    try:
        cases = load_cases(list(paths))
    except CaseFormatError as exc:
        raise LoadConfigError(f"--cases: {exc}") from None
    if not cases:
        raise LoadConfigError(f"--cases: no case in {', '.join(map(str, paths))}")
    return cases


class CaseDeck:
    """Deals cases in a seeded shuffled order; every case once before any case again.

    Args:
        cases: The cases to deal (at least one).
        seed: Seeds the shuffles (anything `random.Random` takes).
    """

    def __init__(self, cases: Sequence[Case], seed: int | str) -> None:
        if not cases:
            raise ValueError("a deck needs at least one case")
        self._cases = list(cases)
        self._rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self._left: list[Case] = []

    def draw(self) -> Case:
        """The next case."""
        if not self._left:
            self._left = self._rng.sample(self._cases, len(self._cases))
        return self._left.pop()


def run_body(case: Case, planner: str | None) -> dict[str, Any]:
    """The `POST /api/v1/runs` body of `case`: its prompt, its setup (if any), the planner."""
    body: dict[str, Any] = {"prompt": case.prompt}
    if planner:
        body["planner"] = planner
    if case.setup.todos:
        body["setup"] = {"todos": list(case.setup.todos)}
    return body


def write_rows(path: Path, rows: Iterable[BaseModel]) -> None:
    """Write `rows` as JSON lines, atomically."""
    write_atomically(path, "".join(row.model_dump_json() + "\n" for row in rows))


def _read_rows(path: Path, model: type[M]) -> list[M]:
    try:
        return list(Rows(path, model))
    except RunLogError as exc:
        raise ResultError(str(exc)) from None


def read_quality_rows(path: Path) -> list[QualityRow]:
    """The scored runs of a load run (`quality.jsonl`).

    Raises:
        ResultError: Unreadable, or a row is malformed.
    """
    return _read_rows(path, QualityRow)


def read_trials(path: Path) -> list[TrialResult]:
    """Eval rows of a file (a load run's `unloaded.jsonl`).

    Raises:
        ResultError: Unreadable, or a row is malformed.
    """
    return _read_rows(path, TrialResult)


def eval_reference(run_dir: Path, labels: Sequence[str]) -> list[TrialResult]:
    """The rows of the eval run in `run_dir` that a load run compares `labels` with.

    The run is read by `evals.run_reader.read_run`. Perturbed variants are left out (the
    load submits the cases as written). The run need not have finished: the rows it has
    are compared.

    Raises:
        LoadConfigError: Not an eval run, a malformed one, or a label it lacks.
    """
    try:
        run = read_run(run_dir)
        if not run.files.results_file.is_file():
            raise LoadConfigError(f"--unloaded {run_dir}: no trial rows; give an eval run dir")
        rows = [r for r in run.rows() if r.perturbation is None]
    except RunLogError as exc:
        raise LoadConfigError(f"--unloaded: {exc}") from None
    found = sorted({r.planner for r in rows})
    missing = [label for label in labels if label not in found]
    if missing:
        raise LoadConfigError(
            f"--unloaded {run_dir}: no rows of planner {missing[0]!r} "
            f"(it has {', '.join(found) or 'none'}); load the same labels the eval ran"
        )
    return [r for r in rows if not labels or r.planner in labels]
