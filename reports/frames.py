"""An eval run directory as DataFrames: every trial, and every failing trial in full.

The run is read by `evals.run_reader.read_run`, the one reader of a run; this module
lays its rows out for the report.

`trials` holds one row per trial with the scalar columns of `evals.metrics` plus the tool
sequences expected and chosen (for the confusion chart). `failures` holds the failing
trials (outcome other than `correct`) with what the failing-cases table shows: prompt,
expected and actual steps, raw output, error. The summary's metrics are read, never
recomputed: the report shows the numbers the run's gates were decided on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from crane_bench.evals.cases import ExpectedPlan
from crane_bench.evals.errors import RunLogError
from crane_bench.evals.metrics import SCALAR_COLUMNS, scalar_row
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_cases import CaseIndex
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.evals.run_reader import EvalRun, Rows, read_run
from crane_bench.reports.errors import RunDataError, RunIncompleteError
from crane_bench.reports.plan_text import Step

NO_PLAN_TOOLS: Final = "(no plan)"
NO_TOOLS: Final = "(none)"
UNKNOWN_TOOLS: Final = "(unknown)"
EXTRA_COLUMNS: Final[dict[str, str]] = {
    "expected_tools": "str",
    "chosen_tools": "str",
    "model": "object",
}
"""Columns of the trials frame beyond `evals.metrics.SCALAR_COLUMNS`."""
FAILURE_COLUMNS: Final = (
    "planner", "case_id", "category", "repeat", "outcome", "prompt", "expected_steps",
    "actual_steps", "plan_key", "raw_output", "error", "run_status", "run_output",
    "expected_outcome", "fallback_reason", "line",
)  # fmt: skip


@dataclass(frozen=True)
class EvalFrames:
    """Everything the eval report shows of one run directory, as frames."""

    run: EvalRun
    """The run as read (`evals.run_reader`): its transcripts are read from it."""
    summary: EvalSummary
    trials: pd.DataFrame
    failures: pd.DataFrame
    cases: CaseIndex
    skipped_lines: list[int]
    """A torn last line of results.jsonl (the run was killed while writing it)."""

    @property
    def path(self) -> Path:
        """The run directory."""
        return self.run.path


def tool_sequence(steps: Sequence[Step] | None) -> str:
    """`calculator → todo_store`; `(none)` for an abstain, `(no plan)` for None."""
    if steps is None:
        return NO_PLAN_TOOLS
    return " → ".join(tool for tool, _ in steps) if steps else NO_TOOLS


def _expected(row: TrialResult, cases: CaseIndex) -> ExpectedPlan | None:
    # A row that carries its expected plan wins over the case files (they may have changed).
    if row.expected is not None:
        return row.expected
    case = cases.cases.get(row.case_id)
    return case.expected if case else None


def _failure(
    row: TrialResult,
    line: int,
    expected: ExpectedPlan | None,
    cases: CaseIndex,
) -> dict[str, Any]:
    case = cases.cases.get(row.case_id)
    prompt = row.prompt
    actual = [(s.tool, s.input) for s in row.plan.steps] if row.plan is not None else None
    return {
        "planner": row.planner,
        "case_id": row.case_id,
        "category": row.category,
        "repeat": row.repeat,
        "outcome": row.outcome.value,
        "prompt": prompt if prompt is not None else (case.prompt if case else None),
        "expected_steps": [(s.tool, s.input) for s in expected.steps] if expected else None,
        "actual_steps": actual,
        "plan_key": row.plan.model_dump_json() if row.plan is not None else "",
        "raw_output": _informative_raw(row),
        "error": row.error,
        "run_status": row.run_status,
        "run_output": json.dumps(row.run_output, ensure_ascii=False, sort_keys=True),
        "expected_outcome": _expected_outcome(expected),
        "fallback_reason": row.fallback_reason,
        "line": line,
    }


def _informative_raw(row: TrialResult) -> str | None:
    """The raw model output, unless it is exactly the plan as JSON (shown already)."""
    if row.raw_output is None or row.plan is None:
        return row.raw_output
    try:
        parsed = json.loads(row.raw_output)
    except ValueError:
        return row.raw_output
    return None if parsed == row.plan.model_dump(mode="json") else row.raw_output


def _expected_outcome(expected: ExpectedPlan | None) -> str | None:
    if expected is None:
        return None
    if expected.fails:
        return "a clean failure"
    if expected.outcome is None:
        return None
    return json.dumps(expected.outcome, ensure_ascii=False, sort_keys=True)


def read_trials(
    rows: Rows[TrialResult], cases: CaseIndex
) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Read `rows` into the trials and failures frames, one line at a time.

    Args:
        rows: A run's rows (`EvalRun.rows()`), or a load run's `quality.jsonl`.
        cases: Where a row's expected plan and prompt are looked up when it lacks them.

    Raises:
        RunDataError: The file is unreadable, or a line other than the last is malformed.
    """
    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    try:
        for number, row in rows.numbered():
            expected = _expected(row, cases)
            record = scalar_row(row)
            record["expected_tools"] = (
                tool_sequence([(s.tool, s.input) for s in expected.steps])
                if expected
                else UNKNOWN_TOOLS
            )
            steps = [(s.tool, s.input) for s in row.plan.steps] if row.plan else None
            record["chosen_tools"] = tool_sequence(steps)
            record["model"] = row.model
            records.append(record)
            if row.outcome is not OutcomeClass.CORRECT:
                failures.append(_failure(row, number, expected, cases))
    except RunLogError as exc:
        raise RunDataError(str(exc)) from None
    torn = [rows.torn_line] if rows.torn_line is not None else []
    columns = [*SCALAR_COLUMNS, *EXTRA_COLUMNS]
    trials = pd.DataFrame.from_records(records, columns=columns)
    trials = trials.astype({**SCALAR_COLUMNS, **EXTRA_COLUMNS})
    # object dtype keeps None as None; pandas' `str` dtype would turn it into NaN.
    failed = pd.DataFrame(failures, columns=list(FAILURE_COLUMNS), dtype=object)
    return trials, failed, torn


def open_eval_run(run_dir: Path) -> tuple[EvalRun, EvalSummary]:
    """The finished eval run in `run_dir` (`evals.run_reader.read_run`) and its summary.

    Raises:
        RunIncompleteError: The run has no summary yet (it was interrupted).
        RunDataError: A file is missing, unreadable or malformed.
    """
    try:
        run = read_run(run_dir)
    except RunLogError as exc:
        raise RunDataError(str(exc)) from None
    if run.summary is None:
        raise RunIncompleteError(
            f"{run_dir}: no {run.files.summary_file.name}; the run did not finish: "
            f"finish it with `crane-bench eval --resume {run_dir}`"
        )
    return run, run.summary


def read_eval_frames(run_dir: Path) -> EvalFrames:
    """Read an eval run directory: summary, results and the recorded case files.

    Raises:
        RunIncompleteError: The run has no summary yet.
        RunDataError: A file is missing, unreadable or malformed.
    """
    run, summary = open_eval_run(run_dir)
    cases = run.cases()
    trials, failures, torn = read_trials(run.rows(), cases)
    return EvalFrames(run, summary, trials, failures, cases, torn)
