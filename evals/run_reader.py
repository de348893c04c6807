"""Read an eval run directory: `read_run(path)` is the one reader of a run.

The report, `crane-bench rescore`, `crane-bench show`, the load's unloaded reference,
the baseline of a regression gate and a user's script all read a run through it:

    run = read_run("runs/20250101T120000Z-1a2b3c")
    run.spec.args.planners              # what was run (`EvalSpec`)
    run.summary                         # metrics, comparisons, gates; None: not finished
    for row in run.rows():              # every trial, a `TrialResult`, one line at a time
        ...
    run.frame()                         # the trials as a pandas DataFrame (`evals.metrics`)
    run.find_transcripts("calc-basic")  # what happened in a trial, event by event

`spec.json` and `summary.json` are small and read at once; the rows, the transcripts and
the case files are read when asked for, one line at a time, so memory grows with what
the caller keeps. A last line that is not JSON is *torn* (the run was killed while
writing it): it is skipped, and `rows().torn_line` says which it was.

Everything wrong with the files is one error, `RunLogError`, whose message names the
file, the line and the field: a directory that is not an eval run, a spec or summary
that does not validate, a row or transcript that does not (or is of another version).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from crane_bench.evals.errors import RunLogError
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import frame_from_records, scalar_row
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_cases import CaseIndex, case_index
from crane_bench.evals.run_config import EvalSpec
from crane_bench.evals.run_dir import EvalSummary, RunDir, TrialKey, read_model
from crane_bench.evals.transcript_store import find_transcripts, iter_transcripts
from crane_bench.evals.transcripts import Transcript
from crane_bench.plumbing.errors import RunFileError
from crane_bench.plumbing.run_files import JsonlReader
from crane_bench.plumbing.validation import first_problem

RowT_co = TypeVar("RowT_co", bound=BaseModel, covariant=True)
"""A row model; a reader of `TrialResult` rows also reads rows of a subclass."""


class Rows(Generic[RowT_co]):
    """The rows of one JSONL run file, each validated as `model` when it is read.

    Iterate it for the rows, or `numbered()` for (line number, row). A torn last line is
    skipped; after the iteration `torn_line` holds its number. Iterating again reads the
    file again.

    Args:
        path: The file (`results.jsonl`, or a load run's `unloaded.jsonl`,
            `quality.jsonl`, whose rows are eval rows with more fields).
        model: What each line is.
        missing_ok: A missing file holds no rows (a run that has not finished a trial);
            otherwise it is an error.
    """

    def __init__(self, path: Path, model: type[RowT_co], *, missing_ok: bool = False) -> None:
        self.path = path
        self.model = model
        self.missing_ok = missing_ok
        self.torn_line: int | None = None

    def numbered(self) -> Iterator[tuple[int, RowT_co]]:
        """Yield (1-based line number, row) for each row, in file order.

        Raises:
            RunLogError: The file cannot be read, a line other than the last is not JSON,
                or a line is not a `model` (of this version).
        """
        if self.missing_ok and not self.path.exists():
            return
        reader = JsonlReader(self.path)
        try:
            for line in reader:
                yield line.number, self._validated(line.data, line.number)
        except RunFileError as exc:
            raise RunLogError(str(exc)) from None
        self.torn_line = reader.torn[0] if reader.torn else None

    def __iter__(self) -> Iterator[RowT_co]:
        for _, row in self.numbered():
            yield row

    def _validated(self, data: object, number: int) -> RowT_co:
        if not isinstance(data, dict):
            raise RunLogError(f"{self.path}: line {number}: not a row (a JSON object)")
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            problem = first_problem(exc, top="row")
            raise RunLogError(f"{self.path}: line {number}: {problem}") from None


def read_frame(rows: Rows[TrialResult], metrics: MetricRegistry = DEFAULT_METRICS) -> pd.DataFrame:
    """The trials frame of `rows` (`evals.metrics`): scalar columns and one per metric.

    The plan and the raw model output are not kept, so memory grows with the number of
    rows, not with what the model wrote. A torn last line's number is left in
    `frame.attrs["skipped_lines"]`.

    Raises:
        RunLogError: As `Rows.numbered`.
    """
    frame = frame_from_records((scalar_row(row, metrics) for row in rows), metrics)
    frame.attrs["skipped_lines"] = [rows.torn_line] if rows.torn_line is not None else []
    return frame


def read_results(path: Path, metrics: MetricRegistry = DEFAULT_METRICS) -> pd.DataFrame:
    """The trials frame of a bare results file (a baseline's, beside its `summary.json`).

    Raises:
        RunLogError: The file cannot be read, or a row other than the last is malformed.
    """
    return read_frame(Rows(path, TrialResult), metrics)


@dataclass(frozen=True)
class EvalRun:
    """An eval run directory, read (`read_run`)."""

    path: Path
    spec: EvalSpec
    """What was run; its paths open from here (case files found by `locate_case_file`)."""
    summary: EvalSummary | None
    """Metrics, comparisons and gates; None while the run has not finished. Its `spec` is
    as the file holds it (paths relative to the run directory): read `spec` instead."""

    @property
    def files(self) -> RunDir:
        """The run directory's file names."""
        return RunDir(self.path)

    @property
    def finished(self) -> bool:
        """Whether the run wrote its summary (every trial ran)."""
        return self.summary is not None

    def rows(self) -> Rows[TrialResult]:
        """Every trial's row, read when iterated (none yet in a run that just started)."""
        return Rows(self.files.results_file, TrialResult, missing_ok=True)

    def frame(self, metrics: MetricRegistry = DEFAULT_METRICS) -> pd.DataFrame:
        """Every trial as one row of a DataFrame: the scalar columns and one per metric.

        Raises:
            RunLogError: A row is malformed.
        """
        return read_frame(self.rows(), metrics)

    @property
    def has_transcripts(self) -> bool:
        """Whether the run wrote transcripts (not with `--no-transcripts`)."""
        return self.files.transcripts_file.is_file()

    def transcripts(self, wanted: set[TrialKey] | None = None) -> Iterator[Transcript]:
        """The transcripts (of the `wanted` (planner, case, repeat) trials), in file order.

        Raises:
            RunLogError: A line is not JSON (and not the last) or not a transcript.
        """
        if not self.has_transcripts:
            return iter(())
        return iter_transcripts(self.files.transcripts_file, wanted)

    def find_transcripts(self, case_id: str, planner: str | None = None) -> list[Transcript]:
        """The transcripts of `case_id` (by one planner label, if given).

        Only the lines of that case are validated, so a look-up in a big run stays quick.

        Raises:
            RunLogError: The file is unreadable, or a matching line is not a transcript.
        """
        if not self.has_transcripts:
            return []
        return find_transcripts(self.files.transcripts_file, case_id, planner)

    def cases(self) -> CaseIndex:
        """The cases of the case files the run recorded (`evals.run_cases`).

        A file that is missing, unreadable or changed since the run gets a note; none
        raises.
        """
        return case_index(self.spec.args.case_files)


def read_run(path: str | Path) -> EvalRun:
    """Open the eval run directory `path`: its spec and summary now, the rest when asked.

    Raises:
        RunLogError: `path` is not an eval run directory (no `spec.json` or
            `summary.json`), its spec or summary does not validate, or it has a summary
            but no `results.jsonl`.
    """
    run = RunDir(Path(path))
    if not run.path.is_dir():
        raise RunLogError(f"{run.path}: not an eval run directory (not a directory)")
    summary = (
        read_model(run.summary_file, EvalSummary, "an eval summary")
        if run.summary_file.is_file()
        else None
    )
    if run.spec_file.is_file():
        spec = run.read_spec()
    elif summary is not None:
        spec = run.resolve(summary.spec)
    else:
        raise RunLogError(f"{run.path}: not an eval run directory (no spec.json)")
    if summary is not None and not run.results_file.is_file():
        raise RunLogError(f"{run.path}: no {run.results_file.name} beside its summary")
    return EvalRun(run.path, spec, summary)
