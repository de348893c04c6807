"""The load report's accuracy under load: tables by planner and step, and failing cases.

Reads `load_summary.json`'s `quality` (per planner, per step, against the unloaded
accuracy) and `quality.jsonl` (one row per scored run: the eval's row plus when it ran).
The failing cases are grouped as in the eval report (`reports.failures_view`): one row
per planner, case and outcome class, saying how many of the case's runs it covers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from crane_bench.evals.run_cases import CaseIndex
from crane_bench.evals.run_reader import Rows
from crane_bench.load.errors import ResultError
from crane_bench.load.gold import read_quality_rows
from crane_bench.load.quality import QualityRow
from crane_bench.load.quality_models import PlannerQuality, QualityReport, QualityStats
from crane_bench.load.summary import QUALITY_FILE, LoadSummary
from crane_bench.reports.errors import RunDataError
from crane_bench.reports.failures_view import FailureRow, FailureTable, failure_table
from crane_bench.reports.formatting import Cell, count, pct, rate_cell, sig
from crane_bench.reports.frames import read_trials
from crane_bench.reports.meta import Column, Row

QUALITY_COLUMNS: Final = [
    Column("Runs"),
    Column("Cases"),
    Column("Plan accuracy", "right plans / scored runs, Wilson 95% interval clustered by case"),
    Column("End-to-end", "right plan and expected outcome, with its interval"),
    Column("Model asked", "runs whose planner asked the model"),
    Column("Fallbacks", "model asked and its answer not (all) used; beneath: by timeout"),
    Column("RUN p50 ms", "submit to done, as the client saw it"),
    Column("RUN p95 ms"),
]
RUN_COLUMNS: Final = (
    "t", "step", "users", "planner", "outcome", "fallback_reason", "run_ms", "plan_correct",
)  # fmt: skip


@dataclass(frozen=True)
class PlannerQualityView:
    """One planner's table and verdicts."""

    label: str
    rows: list[Row]
    verdicts: list[str]
    """The comparisons with the unloaded accuracy, in words."""


@dataclass(frozen=True)
class QualityPage:
    """The accuracy-under-load section of the load report."""

    columns: list[Column]
    planners: list[PlannerQualityView]
    failures: FailureTable
    note: str


@dataclass(frozen=True)
class QualityData:
    """What the quality section reads: the summary's figures and the scored runs."""

    report: QualityReport
    runs: pd.DataFrame
    """One row per scored run: t, step, users, planner, outcome, fallback_reason, run_ms."""
    failures: FailureTable


def _cells(stats: QualityStats) -> list[Cell]:
    timeouts = stats.fallback_reasons.get("timeout", 0)
    fallbacks = rate_cell(stats.fallback_rate, None)
    return [
        Cell(count(stats.n)),
        Cell(count(stats.cases)),
        rate_cell(stats.plan_accuracy, stats.plan_accuracy_ci),
        rate_cell(stats.end_to_end_accuracy, stats.end_to_end_accuracy_ci),
        Cell(pct(stats.model_call_rate)),
        dataclasses.replace(fallbacks, sub=f"{count(timeouts)} by timeout"),
        Cell(sig(stats.run_p50_ms, 2)),
        Cell(sig(stats.run_p95_ms, 2)),
    ]


def _planner(label: str, planner: PlannerQuality) -> PlannerQualityView:
    rows = []
    if planner.unloaded is not None:
        rows.append(Row("unloaded", _cells(planner.unloaded)))
    rows += [
        Row(
            f"step {s.step + 1}: {s.users} users (submitted {s.from_s:.0f}-{s.until_s:.0f} s)",
            _cells(s),
        )
        for s in planner.by_step
    ]
    rows.append(Row("under load, all steps", _cells(planner)))
    return PlannerQualityView(label, rows, [c.verdict for c in planner.comparisons])


def _runs_frame(path: Path | None) -> pd.DataFrame:
    try:
        rows = read_quality_rows(path) if path is not None else []
    except ResultError as exc:
        raise RunDataError(str(exc)) from None
    records = [
        {
            "t": r.t,
            "step": r.step,
            "users": r.users,
            "planner": r.planner,
            "outcome": r.outcome.value,
            "fallback_reason": r.fallback_reason or "",
            "run_ms": r.run_ms,
            "plan_correct": r.plan_correct,
        }
        for r in rows
    ]
    return pd.DataFrame.from_records(records, columns=list(RUN_COLUMNS))


def _relabel(row: FailureRow) -> FailureRow:
    details = [
        (QUALITY_FILE if label == "results.jsonl" else label, text) for label, text in row.details
    ]
    return dataclasses.replace(row, details=details)


def read_quality(run_dir: Path, summary: LoadSummary) -> QualityData | None:
    """The quality data of a `gold` run; None for other scenarios (or no scored run).

    Raises:
        RunDataError: `quality.jsonl` is unreadable or malformed.
    """
    if summary.quality is None:
        return None
    path = run_dir / summary.files.get("quality", QUALITY_FILE)
    if not path.is_file():
        return QualityData(summary.quality, _runs_frame(None), FailureTable([], 0, [], [], []))
    trials, failed, _torn = read_trials(Rows(path, QualityRow), CaseIndex())
    table = failure_table(failed, trials)
    table = dataclasses.replace(table, rows=[_relabel(r) for r in table.rows])
    return QualityData(summary.quality, _runs_frame(path), table)


def quality_page(data: QualityData) -> QualityPage:
    """The section's tables, verdicts and failing cases."""
    report = data.report
    return QualityPage(
        columns=QUALITY_COLUMNS,
        planners=[_planner(label, p) for label, p in report.planners.items()],
        failures=data.failures,
        note=f"Unloaded reference: {report.unloaded_source}. Rates count scored runs; their "
        "intervals cluster the runs by case (a case drawn many times is one case).",
    )
