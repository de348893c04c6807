"""An eval run directory read into DataFrames: every trial, and every failing trial in full.

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
from pydantic import ValidationError

from crane_bench.evals.cases import ExpectedPlan
from crane_bench.evals.metrics import SCALAR_COLUMNS, scalar_row
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.plumbing.errors import RunFileError
from crane_bench.plumbing.run_files import RESULTS_FILE, SUMMARY_FILE, JsonlReader
from crane_bench.reports.case_lookup import CaseIndex, load_case_index
from crane_bench.reports.errors import RunDataError, RunIncompleteError
from crane_bench.reports.plan_text import Step

NO_PLAN_TOOLS: Final = "(no plan)"
NO_TOOLS: Final = "(none)"
UNKNOWN_TOOLS: Final = "(unknown)"
ROW_FIELDS: Final = frozenset(TrialResult.model_fields)
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
class EvalRun:
    """Everything the eval report shows, read from one run directory."""

    path: Path
    summary: EvalSummary
    trials: pd.DataFrame
    failures: pd.DataFrame
    cases: CaseIndex
    skipped_lines: list[int]
    """A torn last line of results.jsonl (the run was killed while writing it)."""


def tool_sequence(steps: Sequence[Step] | None) -> str:
    """`calculator → todo_store`; `(none)` for an abstain, `(no plan)` for None."""
    if steps is None:
        return NO_PLAN_TOOLS
    return " → ".join(tool for tool, _ in steps) if steps else NO_TOOLS


def _expected(data: dict[str, Any], row: TrialResult, cases: CaseIndex) -> ExpectedPlan | None:
    # A row that carries its expected plan wins over the case files (they may have changed).
    if isinstance(data.get("expected"), dict):
        try:
            return ExpectedPlan.model_validate(data["expected"])
        except ValidationError:
            pass
    case = cases.cases.get(row.case_id)
    return case.expected if case else None


def _failure(
    data: dict[str, Any],
    row: TrialResult,
    line: int,
    expected: ExpectedPlan | None,
    cases: CaseIndex,
) -> dict[str, Any]:
    case = cases.cases.get(row.case_id)
    prompt = data.get("prompt") if isinstance(data.get("prompt"), str) else None
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
    except (ValueError, RecursionError):  # not JSON, or more than the parser reads
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


def _parse(data: Any, path: Path, number: int) -> TrialResult:
    if not isinstance(data, dict):
        raise RunDataError(f"{path}: line {number}: not a trial row")
    # Fields the runner may add later (prompt, expected) are read from `data` above.
    known = {key: value for key, value in data.items() if key in ROW_FIELDS}
    try:
        return TrialResult.model_validate(known)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in err["loc"]) or "row"
        raise RunDataError(f"{path}: line {number}: {where}: {err['msg']}") from None


def read_trials(path: Path, cases: CaseIndex) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Read `results.jsonl` into the trials and failures frames, one line at a time.

    Raises:
        RunDataError: The file is unreadable, or a line other than the last is malformed.
    """
    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    reader = JsonlReader(path)
    try:
        for line in reader:
            data, number = line.data, line.number
            row = _parse(data, path, number)
            expected = _expected(data, row, cases)
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
                failures.append(_failure(data, row, number, expected, cases))
    except RunFileError as exc:
        raise RunDataError(str(exc)) from None
    torn = [reader.torn[0]] if reader.torn else []
    columns = [*SCALAR_COLUMNS, *EXTRA_COLUMNS]
    trials = pd.DataFrame.from_records(records, columns=columns)
    trials = trials.astype({**SCALAR_COLUMNS, **EXTRA_COLUMNS})
    # object dtype keeps None as None; pandas' `str` dtype would turn it into NaN.
    failed = pd.DataFrame(failures, columns=list(FAILURE_COLUMNS), dtype=object)
    return trials, failed, torn


def read_eval_summary(run_dir: Path) -> EvalSummary:
    """Read and validate `summary.json`.

    Raises:
        RunIncompleteError: There is a results file but no summary (an interrupted run).
        RunDataError: The summary is unreadable or not an `EvalSummary`.
    """
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        raise RunIncompleteError(
            f"{run_dir}: no {SUMMARY_FILE}; the run did not finish: "
            f"finish it with `crane-bench eval --resume {run_dir}`"
        )
    try:
        return EvalSummary.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise RunDataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        raise RunDataError(f"{path}: not an eval summary: {where}: {err['msg']}") from None


def read_eval_run(run_dir: Path) -> EvalRun:
    """Read an eval run directory: summary, results and the recorded case files.

    Raises:
        RunIncompleteError: The run has no summary yet.
        RunDataError: A file is missing, unreadable or malformed.
    """
    summary = read_eval_summary(run_dir)
    results = run_dir / RESULTS_FILE
    if not results.is_file():
        raise RunDataError(f"{run_dir}: no {RESULTS_FILE} beside {SUMMARY_FILE}")
    cases = load_case_index(summary.spec.args.case_files, run_dir)
    trials, failures, torn = read_trials(results, cases)
    return EvalRun(run_dir, summary, trials, failures, cases, torn)
