"""Sequential gates: each check of a gates file decided as the cases come in.

`crane-bench eval --stop-when-decided` runs the cases in a seeded random order and, after
each round of them, replays every check over the cases so far with the anytime-valid
tests of `evals.confseq` at the gates' `sequential.alpha`. Each check reads a stream of
right-or-wrong outcomes in case order and is decided once its test shows, at that error
rate, on which side of the threshold the truth lies:

- `rate`: a rate against a number (`pattern plan_accuracy >= 0.8`): the metric's
  per-trial value. On the point estimate of a rate that every trial has, the question is
  the full run's: are at least `a` of the suite's N cases right? That is a finite
  population sampled without replacement (`evals.confseq_finite`). With `use:
  lower_bound` the question is the rate the suite samples (is it above 0.8?), tested as
  an infinite population's (`evals.confseq`); only an undecided check falls back to the
  bound's fixed-sample verdict.
- `quantile`: a latency percentile against a number. `p95 <= 50` holds exactly when at
  least 95% of trials take at most 50 ms, so the outcome is "within 50 ms" against 0.95
  (Howard and Ramdas 2022, "Sequential estimation of quantiles"). Trials the response
  cache answered are left out, as the latency figures leave them out. When no trial of
  the planner can come from that cache (`live`), `p95 <= 50` is again a question about
  the suite's N trials: the full run's p95 (numpy's linear interpolation) is at most 50
  when at least ceil(0.95 (N - 1)) + 1 of them are, and above it when at most
  floor(0.95 (N - 1)) are, so the finite-population test decides it.
- `paired`: a rate against another planner's rate on the same cases. On the cases where
  exactly one of the two was right, "this planner was the right one" has a mean of at
  least 1/2 exactly when its rate is at least the other's: McNemar's conditioning, tested
  sequentially (the concordant cases say nothing about the difference).

Each test's prior weight is `evals.confseq.tuned_strength`'s for half the cases the check
reads, fixed before the run. Every other check (means, sums, counts, a bound against
another planner's bound) is not sequential: it needs every case, so its planners run to
the end, and its verdict is the fixed-sample one. Checks on a planner or reference not in
the run, and robustness checks (which need `--perturb`, which a sequential run refuses),
are skipped and hold up nothing. A check is decided at most once: the tests reject for
good (Ville's inequality bounds the chance of ever rejecting wrongly), so later cases
never undo a decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals import confseq_finite as finite
from crane_bench.evals.confseq import Side, bounds, crossing
from crane_bench.evals.metrics import metric_column
from crane_bench.evals.sequential_checks import Kind, Monitor

Status = Literal["pass", "fail", "undecided", "not_sequential"]
METHOD: Final = (
    "one-sided beta-binomial mixture tests (prior Beta(kθ, k(1-θ)) cut at the threshold θ, "
    "k tuned to half the cases each check reads); on a point estimate, of the suite's own "
    "rate (cases drawn without replacement); anytime-valid by Ville's inequality; bounds "
    "are their inversions, running max/min"
)


class SequentialGate(BaseModel):
    """How one check fared under the sequential tests."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    check: int
    """The check's position in the summary's `gates.checks`."""
    name: str
    planners: list[str]
    """The planners it reads; it keeps them running until it is decided."""
    kind: Kind | None
    """None for a check that is not sequential."""
    status: Status
    decided_after: int | None = None
    """Cases of the run's order after which it was decided (None: it was not)."""
    observations: int = 0
    """Outcomes the test read: trials counted, or discordant cases for `paired`."""
    target: float | None = None
    """The mean the outcomes were tested against (the threshold, the quantile's level, 1/2)."""
    mean: float | None = None
    """The outcomes' mean over the whole run."""
    lower: float | None = None
    """Anytime-valid lower bound of that mean at the end of the run (level 1 - alpha)."""
    upper: float | None = None
    """Anytime-valid upper bound of that mean at the end of the run (level 1 - alpha)."""
    population: int | None = None
    """N when the test was of the suite's own N cases (the full run's figure), else None."""
    what: str = ""
    """What the mean is, in words."""
    claim: str = ""
    """What passing means, e.g. `pattern plan_accuracy >= 0.8`."""
    note: str
    """The result in one sentence."""


def _values(frame: pd.DataFrame, planner: str, metric: str, category: str | None) -> pd.Series:
    rows = frame[frame["planner"] == planner]
    if category is not None:
        rows = rows[rows["category"] == category]
    values = rows[metric_column(metric)]
    return pd.Series(values.to_numpy(), index=rows["case_id"].to_numpy()).dropna()


def outcomes(
    monitor: Monitor, frame: pd.DataFrame, position: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The monitor's outcomes in case order, and the 1-based case count of each.

    Args:
        monitor: The check.
        frame: The run's trials so far (one trial per case and planner).
        position: Case id -> its 1-based place in the run's order.
    """
    own = _values(frame, monitor.planner, monitor.metric, monitor.category)
    if monitor.kind == "quantile":
        rows = frame[(frame["planner"] == monitor.planner) & ~frame["cached"].astype(bool)]
        if monitor.category is not None:
            rows = rows[rows["category"] == monitor.category]
        live = set(rows["case_id"])
        own = own[[case in live for case in own.index]]
        cutoff = float(monitor.cutoff or 0.0)
        flags = own < cutoff if monitor.strict else own <= cutoff
    elif monitor.kind == "paired":
        theirs = _values(frame, monitor.other or "", monitor.other_metric or "", monitor.category)
        mine, other = (own > 0.5).align(theirs > 0.5, join="inner")
        flags = mine[mine != other]
    else:
        flags = own > 0.5
    places = np.array([position.get(str(case), 0) for case in flags.index], dtype=np.int64)
    keep = places > 0
    order = np.argsort(places[keep], kind="stable")
    return np.asarray(flags.to_numpy()[keep][order], dtype=bool), places[keep][order]


def _strength(monitor: Monitor, side: Side) -> float:
    return monitor.strength_above if side == "above" else monitor.strength_below


def _first(monitor: Monitor, flags: np.ndarray, side: Side, count: int, alpha: float) -> int:
    """The outcome count at which the test of `side` first rejects (0: never)."""
    if monitor.population is not None:
        found = finite.crossing(
            flags, monitor.population, count, side, alpha, strength=_strength(monitor, side)
        )
    else:
        found = crossing(flags, monitor.target, side, alpha, _strength(monitor, side))
    return int(found)


def _decide(
    monitor: Monitor, flags: np.ndarray, places: np.ndarray, alpha: float
) -> tuple[Status, int | None]:
    if monitor.population is not None:
        (passing, pass_count), (failing, fail_count) = monitor.pass_test, monitor.fail_test
    else:
        passing = "above" if monitor.holds_above else "below"
        failing = "below" if monitor.holds_above else "above"
        pass_count = fail_count = 0
    shown_pass = _first(monitor, flags, passing, pass_count, alpha)
    shown_fail = _first(monitor, flags, failing, fail_count, alpha)
    if shown_pass and (not shown_fail or shown_pass <= shown_fail):
        return "pass", int(places[shown_pass - 1])
    if shown_fail:
        return "fail", int(places[shown_fail - 1])
    return "undecided", None


def _bounds(monitor: Monitor, flags: np.ndarray, alpha: float) -> tuple[float, float]:
    up, down = monitor.strength_above, monitor.strength_below
    if monitor.population is not None:
        lower, upper = finite.bounds(flags, monitor.population, alpha, up, down)
    else:
        lower, upper = bounds(flags, alpha, up, down)
    return float(lower[-1]), float(upper[-1])


def _note(gate: SequentialGate, monitor: Monitor, alpha: float, cases: int) -> str:
    if gate.status == "not_sequential":
        return f"not sequential ({monitor.reason}): needs every case"
    if gate.lower is not None and gate.upper is not None:
        figures = f"{monitor.what} {gate.lower:.3f}-{gate.upper:.3f}, anytime-valid (α = {alpha:g})"
    elif gate.mean is not None:
        figures = f"{monitor.what} {gate.mean:.3f} on {gate.observations} outcomes"
    elif monitor.kind == "quantile":
        figures = "no live trials: the response cache answered them (--no-cache decides it)"
    else:
        figures = f"no outcomes for its {monitor.what}"
    needs = f"{'at least' if monitor.holds_above else 'at most'} {monitor.target:g}"
    if gate.status == "pass":
        return f"passed sequentially after {gate.decided_after} cases: {figures}; needs {needs}"
    if gate.status == "fail":
        return f"failed sequentially after {gate.decided_after} cases: {figures}; needs {needs}"
    return (
        f"too close to call: undecided by the sequential test after {cases} cases "
        f"({figures}; needs {needs}): the verdict is the fixed-sample one"
    )


def replay(
    checks: Sequence[Monitor],
    frame: pd.DataFrame,
    order: Sequence[str],
    alpha: float,
    *,
    with_bounds: bool = False,
) -> list[SequentialGate]:
    """Every check, replayed over the run's trials in case order.

    Args:
        checks: The monitors (`monitors`).
        frame: The run's trials so far.
        order: The case ids run so far, in the run's order.
        alpha: Each test's error rate.
        with_bounds: Also compute the bounds (a search; only the final report needs them).
    """
    position = {case: i + 1 for i, case in enumerate(order)}
    result: list[SequentialGate] = []
    for monitor in checks:
        common = SequentialGate(
            check=monitor.index, name=monitor.name, planners=monitor.planners, kind=None,
            status="not_sequential", note="",
        )  # fmt: skip
        if monitor.kind is None:
            gate = common
            result.append(gate.model_copy(update={"note": _note(gate, monitor, alpha, 0)}))
            continue
        flags, places = outcomes(monitor, frame, position)
        status, decided = _decide(monitor, flags, places, alpha)
        low = high = None
        if with_bounds and flags.size:
            low, high = _bounds(monitor, flags, alpha)
        gate = common.model_copy(
            update={
                "kind": monitor.kind, "status": status, "decided_after": decided,
                "observations": int(flags.size), "target": monitor.target,
                "mean": float(flags.mean()) if flags.size else None, "lower": low,
                "upper": high, "what": monitor.what, "claim": monitor.claim,
                "population": monitor.population,
            }
        )  # fmt: skip
        result.append(gate.model_copy(update={"note": _note(gate, monitor, alpha, len(order))}))
    return result


def still_running(labels: Sequence[str], gates: Sequence[SequentialGate]) -> set[str]:
    """The planners that must keep running: those an undecided or non-sequential check reads.

    A planner that no check reads runs while any check is undecided (nothing decides it,
    and it stops with the run).
    """
    open_checks = [g for g in gates if g.status in ("undecided", "not_sequential")]
    if not open_checks:
        return set()
    read = {planner for gate in gates for planner in gate.planners}
    held = {planner for gate in open_checks for planner in gate.planners}
    return {label for label in labels if label in held or label not in read}
