"""Paired comparison of two planners scored on the same cases (exact McNemar test).

The pairing unit is the case. With repeats, each planner's trials of a case are reduced
to one verdict by majority: the case counts as right when more than half of its trials
are right (a tie counts as wrong, for both planners alike). This uses every repeat, and
unlike "repeat 0 only" it does not let one unlucky draw decide the case. Only cases that
both sides ran are paired.
"""

from __future__ import annotations

from itertools import combinations
from typing import Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.stats import mcnemar_exact

PairedMetric = Literal[
    "plan_correct",
    "end_to_end_correct",
    "tool_correct",
    "args_correct",
    "step_count_correct",
    "valid_plan",
]
DEFAULT_ALPHA: Final = 0.05
NO_DIFFERENCE: Final = "no significant difference"


class Comparison(BaseModel):
    """Two planners on the same cases: the 2x2 table, the test and its verdict."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    planner_a: str
    planner_b: str
    metric: PairedMetric
    """The per-trial boolean compared (`plan_correct` unless asked otherwise)."""
    n_pairs: int
    """Cases both planners ran."""
    both_right: int
    a_only: int
    """Cases A got right and B got wrong."""
    b_only: int
    """Cases B got right and A got wrong."""
    both_wrong: int
    p_value: float
    """Two-sided exact McNemar p-value on `a_only` and `b_only`."""
    alpha: float = DEFAULT_ALPHA
    verdict: str
    """`"<A> better"`, `"<B> better"` or `"no significant difference"`."""
    winner: str | None = None
    """The better planner when the difference is significant, else None."""


def case_verdicts(trials: pd.DataFrame, metric: PairedMetric = "plan_correct") -> pd.Series:
    """One boolean per case (index `case_id`): right in more than half of its trials."""
    share = trials.groupby("case_id")[metric].mean()
    return share > 0.5  # a strict majority: a tie counts as wrong


def compare_verdicts(
    a: pd.Series,
    b: pd.Series,
    *,
    planner_a: str,
    planner_b: str,
    metric: PairedMetric = "plan_correct",
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """Compare two per-case verdict series (from `case_verdicts`) on their common cases."""
    a_right, b_right = a.align(b, join="inner")
    a_right, b_right = a_right.astype(bool), b_right.astype(bool)
    a_only = int((a_right & ~b_right).sum())
    b_only = int((~a_right & b_right).sum())
    p_value = mcnemar_exact(a_only, b_only)
    winner: str | None = None
    if p_value < alpha:
        winner = planner_a if a_only > b_only else planner_b
    return Comparison(
        planner_a=planner_a,
        planner_b=planner_b,
        metric=metric,
        n_pairs=len(a_right),
        both_right=int((a_right & b_right).sum()),
        a_only=a_only,
        b_only=b_only,
        both_wrong=int((~a_right & ~b_right).sum()),
        p_value=p_value,
        alpha=alpha,
        verdict=f"{winner} better" if winner else NO_DIFFERENCE,
        winner=winner,
    )


def compare_planners(
    frame: pd.DataFrame,
    planner_a: str,
    planner_b: str,
    *,
    metric: PairedMetric = "plan_correct",
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """Compare two planners of one trials frame on the cases both ran."""
    return compare_verdicts(
        case_verdicts(frame[frame["planner"] == planner_a], metric),
        case_verdicts(frame[frame["planner"] == planner_b], metric),
        planner_a=planner_a,
        planner_b=planner_b,
        metric=metric,
        alpha=alpha,
    )


def compare_all(
    frame: pd.DataFrame,
    metrics: tuple[PairedMetric, ...] = ("plan_correct", "end_to_end_correct"),
    *,
    alpha: float = DEFAULT_ALPHA,
) -> list[Comparison]:
    """Compare every pair of planners in a trials frame (names in sorted order) per metric."""
    planners = sorted(str(name) for name in frame["planner"].unique())
    return [
        compare_planners(frame, a, b, metric=metric, alpha=alpha)
        for a, b in combinations(planners, 2)
        for metric in metrics
    ]
