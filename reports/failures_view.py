"""The failing-cases table: every failing case, one row per planner, case and outcome class.

The trials of one planner on one case that failed with the same outcome class are one row,
which says how many of the case's trials it covers and in which repeats. It shows the
most common of their plans, and lists the other plans they made beneath. So the table
has at most cases x planners x outcome classes rows however many repeats ran: a
10,000-trial run stays readable, and its report small. Rows carry their planner,
category and outcome for the page's filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from crane_bench.reports.plan_text import PlanLine, differences, one_line, side_by_side

MAX_RAW_CHARS: Final = 800
"""Raw model output beyond this is cut in the table; results.jsonl keeps all of it."""
MAX_OTHER_PLANS: Final = 5
GROUP_KEY: Final = ["planner", "case_id", "outcome"]


@dataclass(frozen=True)
class FailureRow:
    """One failing case of one planner, as the table shows it."""

    planner: str
    case_id: str
    category: str
    outcome: str
    prompt: str | None
    expected: list[PlanLine]
    actual: list[PlanLine]
    differences: list[str]
    trials: str
    """`2 of 5` trials of this case and planner, or `1` without repeats."""
    repeats: str
    """The 0-based repeats, when the case ran more than once."""
    details: list[tuple[str, str]]
    """(label, text) shown under the row: error, raw output, run status and output."""
    repeat: int = 0
    """The repeat of the trial shown (whose transcript the row opens)."""


@dataclass(frozen=True)
class FailureTable:
    """The rows and the values the filters offer."""

    rows: list[FailureRow]
    failing_trials: int
    planners: list[str]
    categories: list[str]
    outcomes: list[str]


def _cut(text: str, limit: int = MAX_RAW_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters in results.jsonl)"


def _other_plans(group: pd.DataFrame, plans: pd.Series) -> str:
    lines = []
    for key, n in list(plans.items())[1 : MAX_OTHER_PLANS + 1]:
        steps = group.loc[group["plan_key"] == key, "actual_steps"].iloc[0]
        lines.append(f"{n}× {one_line(steps)}")
    if len(plans) > MAX_OTHER_PLANS + 1:
        lines.append(f"… and {len(plans) - MAX_OTHER_PLANS - 1} more")
    return _cut("\n".join(lines), MAX_RAW_CHARS * 2)


def _details(first: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if first["error"]:
        found.append(("error", _cut(str(first["error"]))))
    if first["fallback_reason"]:
        found.append(("fallback", str(first["fallback_reason"])))
    if first["outcome"] == "outcome_mismatch":
        found.append(("expected outcome", first["expected_outcome"] or "unchecked"))
        found.append(("run", f"{first['run_status']}: {_cut(str(first['run_output']))}"))
    if first["raw_output"]:
        found.append(("raw output", _cut(str(first["raw_output"]))))
    found.append(("results.jsonl", f"line {first['line']}"))
    return found


def _row(group: pd.DataFrame, total: int) -> FailureRow:
    plans = group["plan_key"].value_counts(sort=True)
    common = group[group["plan_key"] == plans.index[0]]
    first = {str(key): value for key, value in common.iloc[0].to_dict().items()}
    expected, actual = side_by_side(first["expected_steps"], first["actual_steps"])
    found = differences(first["expected_steps"], first["actual_steps"])
    if first["outcome"] == "outcome_mismatch" and not found:
        found = ["plan matches; running it did not give the expected outcome"]
    if len(plans) > 1:
        found.append(f"{len(plans)} different plans in these trials; the most common shown")
    repeats = sorted(int(r) for r in group["repeat"])
    shown = ", ".join(str(r) for r in repeats[:20]) + (" …" if len(repeats) > 20 else "")
    return FailureRow(
        planner=str(first["planner"]),
        case_id=str(first["case_id"]),
        category=str(first["category"]),
        outcome=str(first["outcome"]),
        prompt=first["prompt"],
        expected=expected,
        actual=actual,
        differences=found,
        trials=f"{len(group)} of {total}" if total > 1 else str(len(group)),
        repeats=shown if total > 1 else "",
        details=_details(first)
        + ([("other plans", _other_plans(group, plans))] if len(plans) > 1 else []),
        repeat=int(first["repeat"]),
    )


def failure_table(failures: pd.DataFrame, trials: pd.DataFrame) -> FailureTable:
    """Group the failing trials into rows, ordered by planner, category and case."""
    totals = trials.groupby(["planner", "case_id"]).size().to_dict()
    rows = [
        _row(group, int(totals.get((str(key[0]), str(key[1])), len(group))))
        for key, group in failures.groupby(GROUP_KEY, sort=False, dropna=False)
    ]
    rows.sort(key=lambda r: (r.planner, r.category, r.case_id, r.outcome))
    return FailureTable(
        rows=rows,
        failing_trials=len(failures),
        planners=sorted({r.planner for r in rows}),
        categories=sorted({r.category for r in rows}),
        outcomes=sorted({r.outcome for r in rows}),
    )
