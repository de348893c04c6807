"""Planning a suite from a run: the cases an effect needs, or the effect N cases detect.

`crane-bench power RUN_DIR --effect 0.03` answers, for each pair of planners the run
compared, how many paired cases the exact McNemar test needs to find a difference of 3
points 80% of the time, at the run's own discordance (how often the two disagreed) and
alpha; `--cases N` answers what difference N cases find. The gates on a rate against a
number get the same: how many cases resolve a rate that far from the threshold, or what
N cases resolve. Everything comes from `summary.json` and `evals.power`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pydantic import BaseModel, ConfigDict

from crane_bench.evals.comparison import points
from crane_bench.evals.power import (
    MAX_CASES,
    POWER,
    GateOp,
    GateUse,
    mcnemar_cases_needed,
    mcnemar_mde,
    rate_gate_resolution,
)
from crane_bench.evals.run_dir import EvalSummary

PLAN_METRIC: Final = "plan_correct"
GATE_MAX_CASES: Final = 1_000_000
"""The most cases a gate is planned for (each count's interval is computed)."""


class PlanLine(BaseModel):
    """One comparison or gate, planned."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    what: str
    """`hybrid vs pattern (plan_correct)`, or a gate's name."""
    cases_now: int
    """Cases it rests on in this run."""
    effect: float | None
    """The difference (or distance from the threshold) asked about or found."""
    cases: int | None
    """The cases needed, or given; None when no number of cases will do."""
    text: str


def _smallest_cases(found: Callable[[int], bool], limit: int = MAX_CASES) -> int | None:
    """The smallest n with `found(n)`, for `found` false then true (doubling, bisection)."""
    high = 1
    while not found(high):
        if high >= limit:
            return None
        high = min(2 * high, limit)
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if found(middle) else (middle, high)
    return high


def comparison_lines(
    summary: EvalSummary, *, effect: float | None, cases: int | None
) -> list[PlanLine]:
    """Each plan-accuracy comparison of the run, planned for `effect` or for `cases`."""
    lines: list[PlanLine] = []
    for c in summary.comparisons:
        if c.metric != PLAN_METRIC or not c.n_pairs:
            continue
        what = f"{c.planner_a} vs {c.planner_b} ({c.metric})"
        disagree = c.a_only + c.b_only
        share = disagree / c.n_pairs
        head = f"{what}: disagree on {share:.1%} of cases ({disagree} of {c.n_pairs})"
        if disagree == 0:
            text = f"{head}: no discordance to plan with (they agreed on every case)"
            lines.append(
                PlanLine(what=what, cases_now=c.n_pairs, effect=None, cases=None, text=text)
            )
            continue
        if effect is not None:
            needed = mcnemar_cases_needed(effect, share, c.alpha)
            if needed is None and effect > share:
                text = (
                    f"{head}: planners that disagree this rarely cannot differ by {points(effect)}"
                )
            elif needed is None:
                text = f"{head}: more than {MAX_CASES:,} cases to detect {points(effect)}"
            else:
                text = (
                    f"{head}: {needed:,} cases detect {points(effect)} {POWER:.0%} of the "
                    f"time (this run: {c.n_pairs})"
                )
            lines.append(
                PlanLine(what=what, cases_now=c.n_pairs, effect=effect, cases=needed, text=text)
            )
        else:
            n = cases or c.n_pairs
            found = mcnemar_mde(n, share, c.alpha)
            shown = (
                f"detect {points(found)} or more {POWER:.0%} of the time"
                if found is not None
                else f"detect no difference {POWER:.0%} of the time"
            )
            now = c.power.mde if c.power is not None else None
            here = f"; this run's {c.n_pairs}: {points(now)}" if now is not None else ""
            text = f"{head}: {n:,} cases {shown}{here}"
            lines.append(PlanLine(what=what, cases_now=c.n_pairs, effect=found, cases=n, text=text))
    return lines


def _gate_cases(threshold: float, op: GateOp, use: GateUse, effect: float) -> int | None:
    """The fewest cases that resolve rates `effect` from `threshold` (None: none do)."""

    def resolves(n: int) -> bool:
        found = rate_gate_resolution(n, threshold, op, use)
        return found is not None and found <= effect

    # Resolution is not quite monotone in n (a count crosses a threshold in steps); this is
    # where it first gets there.
    return _smallest_cases(resolves, GATE_MAX_CASES)


def gate_lines(summary: EvalSummary, *, effect: float | None, cases: int | None) -> list[PlanLine]:
    """Each gate on a rate against a number, planned for `effect` or for `cases`."""
    lines: list[PlanLine] = []
    for g in summary.gate_power:
        if g.kind != "threshold" or g.threshold is None:
            continue
        threshold = g.threshold
        op: GateOp = g.op  # type: ignore[assignment]
        use: GateUse = g.use  # type: ignore[assignment]
        if effect is not None:
            needed = _gate_cases(threshold, op, use, effect)
            text = (
                f"{g.name}: {needed:,} cases resolve rates {points(effect)} from {threshold:g} "
                f"(this run: {g.cases})"
                if needed is not None
                else f"{g.name}: no number of cases resolves {points(effect)}"
            )
            lines.append(
                PlanLine(what=g.name, cases_now=g.cases, effect=effect, cases=needed, text=text)
            )
        else:
            n = cases or g.cases
            found = rate_gate_resolution(n, threshold, op, use)
            text = (
                f"{g.name}: {n:,} cases resolve rates {points(found)} from {threshold:g}"
                if found is not None
                else f"{g.name}: {n:,} cases cannot give it the right verdict "
                f"{POWER:.0%} of the time"
            )
            lines.append(PlanLine(what=g.name, cases_now=g.cases, effect=found, cases=n, text=text))
    return lines
