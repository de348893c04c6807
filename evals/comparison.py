"""Paired comparison of two planners scored on the same cases (exact McNemar test).

The pairing unit is the case. With repeats, each planner's trials of a case are reduced
to one verdict by majority: the case counts as right when more than half of its trials
are right (a tie counts as wrong, for both planners alike). This uses every repeat, and
unlike "repeat 0 only" it does not let one unlucky draw decide the case. Only cases that
both sides ran are paired.

Every comparison also says what it could have detected (`evals.power`): the smallest
difference of accuracies that the exact test finds 80% of the time on this many cases,
at the discordance observed. When the planners never disagreed there is no discordance to
plan with, and the figure is left undefined rather than taken from an assumed prior: a
suite on which two planners agree on every case says nothing about how often they differ.
"""

from __future__ import annotations

from itertools import combinations
from typing import Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.power import POWER, mcnemar_mde
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


class ComparisonPower(BaseModel):
    """What a paired comparison could have detected (`evals.power.mcnemar_mde`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    power: float = POWER
    discordance: float
    """Share of the paired cases on which exactly one planner was right: `(b + c) / n`."""
    mde: float | None
    """The smallest difference of accuracies (0 to 1) found with `power` at the run's alpha;
    None when no difference is (too few disagreements, or none at all)."""


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
    power: ComparisonPower | None = None
    """What this comparison could have detected; None with no paired cases, or in summaries
    written before it was recorded."""

    @property
    def detectable(self) -> str:
        """What the suite could have detected, in words (`this suite detects ...`)."""
        return detectable_text(self)


def points(share: float) -> str:
    """A difference of rates in percentage points: 0.0458 -> `4.6 points`."""
    return f"{share * 100:.1f} points"


def detectable_text(c: Comparison) -> str:
    """The minimum detectable effect of a comparison in words, or why there is none."""
    figure = c.power
    if figure is None:
        return "what this suite could detect was not recorded"
    pct = f"{figure.power:.0%}"
    if c.a_only + c.b_only == 0:
        return (
            f"the two never disagreed on the {c.n_pairs} cases, so what this suite could "
            "detect cannot be estimated"
        )
    if figure.mde is None:
        disagreements = c.a_only + c.b_only
        plural = "" if disagreements == 1 else "s"
        return (
            f"with {disagreements} disagreement{plural} in {c.n_pairs} cases, this suite is "
            f"too small to detect any difference {pct} of the time"
        )
    return f"this suite detects a difference of {points(figure.mde)} or more {pct} of the time"


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
    n_pairs = len(a_right)
    power: ComparisonPower | None = None
    if n_pairs:
        discordance = (a_only + b_only) / n_pairs
        power = ComparisonPower(
            discordance=discordance, mde=mcnemar_mde(n_pairs, discordance, alpha)
        )
    winner: str | None = None
    if p_value < alpha:
        winner = planner_a if a_only > b_only else planner_b
    return Comparison(
        planner_a=planner_a,
        planner_b=planner_b,
        metric=metric,
        n_pairs=n_pairs,
        both_right=int((a_right & b_right).sum()),
        a_only=a_only,
        b_only=b_only,
        both_wrong=int((~a_right & ~b_right).sum()),
        p_value=p_value,
        alpha=alpha,
        verdict=f"{winner} better" if winner else NO_DIFFERENCE,
        winner=winner,
        power=power,
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
