"""Before against after: two output directories of `crane-bench robustness run`, set by set.

Each side's set runs are read again from their `results.jsonl` (not from a JSON summary),
so the comparison rests on the same trials as the figures. Per set and planner that both
sides ran, the cases are paired by id: one majority verdict of `plan_correct` per case
and side, and the exact McNemar test on the cases that changed (`evals.comparison`).
Beside it, the set's own figure on each side: the paraphrase drop in points, or the
out-of-domain false-action rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from crane_bench.evals.comparison import case_verdicts, compare_verdicts
from crane_bench.evals.robustness_set_figures import (
    OodFigures,
    ParaphraseFigures,
    SetFigures,
    set_figures,
)
from crane_bench.evals.robustness_sets import SetKind, SetRun


class PlannerChange(BaseModel):
    """One planner on one set, before and after."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    cases: int
    """Cases both sides ran (the pairing unit of the test)."""
    before_correct: int
    after_correct: int
    better: int
    """Cases wrong before and right after."""
    worse: int
    """Cases right before and wrong after."""
    p_value: float
    """Two-sided exact McNemar on `better` and `worse`."""
    verdict: str
    measure: Literal["drop_points", "false_action_rate"]
    """The set's own figure: paraphrase drop in points, or the share of false actions."""
    before: float | None
    after: float | None
    change: float | None
    """after - before; for both measures, negative is an improvement."""


class SetChange(BaseModel):
    """One set file, before and after."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    set: str
    kind: SetKind
    same_cases: bool
    """Whether both runs read the same set file (by sha256); if not, only the case ids
    both hold are paired."""
    planners: dict[str, PlannerChange]
    only_before: list[str]
    """Planners that only the before run ran."""
    only_after: list[str]


class RunComparison(BaseModel):
    """Two output directories of `crane-bench robustness run`, set by set."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    before: str
    after: str
    sets: list[SetChange]
    only_before: list[str]
    """Sets that only the before directory holds."""
    only_after: list[str]


def _measure(figures: SetFigures, planner: str) -> float | None:
    found = figures.planners.get(planner)
    if isinstance(found, ParaphraseFigures):
        return found.drop_points
    if isinstance(found, OodFigures):
        return found.false_action_rate
    return None


def _words(verdict: str, better: int, worse: int, cases: int, p: float) -> str:
    return f"{verdict}: {better} better, {worse} worse of {cases} cases (exact McNemar p = {p:.3g})"


def compare_set(before: SetRun, after: SetRun, labels: list[str] | None = None) -> SetChange:
    """Compare the planners that both runs of one set ran (or those of `labels`)."""
    figures = (set_figures(before, labels), set_figures(after, labels))
    names = [{str(p) for p in run.trials["planner"].unique()} for run in (before, after)]
    if labels is not None:
        names = [found & set(labels) for found in names]
    changes: dict[str, PlannerChange] = {}
    for planner in sorted(names[0] & names[1]):
        old, new = (
            case_verdicts(run.trials[run.trials["planner"] == planner]) for run in (before, after)
        )
        test = compare_verdicts(old, new, planner_a="before", planner_b="after")
        old, new = old.align(new, join="inner")
        was, now = (_measure(side, planner) for side in figures)
        changes[planner] = PlannerChange(
            cases=test.n_pairs,
            before_correct=int(old.sum()),
            after_correct=int(new.sum()),
            better=test.b_only,
            worse=test.a_only,
            p_value=test.p_value,
            verdict=_words(test.verdict, test.b_only, test.a_only, test.n_pairs, test.p_value),
            measure="drop_points" if before.kind == "paraphrase" else "false_action_rate",
            before=was,
            after=now,
            change=None if was is None or now is None else now - was,
        )
    return SetChange(
        set=before.name,
        kind=before.kind,
        same_cases=before.cases_sha256 == after.cases_sha256,
        planners=changes,
        only_before=sorted(names[0] - names[1]),
        only_after=sorted(names[1] - names[0]),
    )


def compare_runs(
    old: dict[str, SetRun],
    new: dict[str, SetRun],
    *,
    before: Path,
    after: Path,
    sets: list[str] | None = None,
    labels: list[str] | None = None,
) -> RunComparison:
    """Compare the set runs of two output directories (`find_set_runs`), set by set.

    Args:
        old: The earlier directory's runs (say, the code before a planner change).
        new: The later one's.
        before: The earlier directory, as named in the result.
        after: The later one.
        sets: Only these sets (stems); all that both hold by default.
        labels: Only these planners; all that both sides ran by default.
    """
    if sets is not None:
        old = {name: run for name, run in old.items() if name in sets}
        new = {name: run for name, run in new.items() if name in sets}
    common = sorted(old.keys() & new.keys())
    return RunComparison(
        before=str(before),
        after=str(after),
        sets=[compare_set(old[name], new[name], labels) for name in common],
        only_before=sorted(old.keys() - new.keys()),
        only_after=sorted(new.keys() - old.keys()),
    )
