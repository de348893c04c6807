"""Sequential gates: each check of a gates file decided as the cases come in.

`crane-bench eval --stop-when-decided` runs the cases in a seeded random order and, after
each round of them, replays every check over the cases so far with the anytime-valid
tests of `evals.confseq` at the gates' `sequential.alpha`. Each check reads a stream of
right-or-wrong outcomes in case order and is decided once its test shows, at that error
rate, on which side of the threshold the truth lies:

- `rate`: a rate against a number (`pattern plan_accuracy >= 0.8`): the metric's
  per-trial value. With `use: lower_bound` the question is the same (is the rate above
  0.8?); only an undecided check falls back to the bound's fixed-sample verdict.
- `quantile`: a latency percentile against a number. `p95 <= 50` holds exactly when at
  least 95% of trials take at most 50 ms, so the outcome is "within 50 ms" against 0.95
  (Howard and Ramdas 2022, "Sequential estimation of quantiles"). Trials the response
  cache answered are left out, as the latency figures leave them out.
- `paired`: a rate against another planner's rate on the same cases. On the cases where
  exactly one of the two was right, "this planner was the right one" has a mean of at
  least 1/2 exactly when its rate is at least the other's: McNemar's conditioning, tested
  sequentially (the concordant cases say nothing about the difference).

Every other check (means, sums, counts, a bound against another planner's bound) is not
sequential: it needs every case, so its planners run to the end, and its verdict is the
fixed-sample one. Checks on a planner or reference not in the run, and robustness checks
(which need `--perturb`, which a sequential run refuses), are skipped and hold up nothing.
A check is decided at most once: the tests reject for good (Ville's inequality bounds the chance of
ever rejecting wrongly), so later cases never undo a decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.confseq import Side, bounds, crossing
from crane_bench.evals.gate_config import (
    ALL_PLANNERS,
    CheckSpec,
    GatesConfig,
    MetricRef,
    check_targets,
)
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import metric_column

Kind = Literal["rate", "quantile", "paired"]
Status = Literal["pass", "fail", "undecided", "not_sequential"]
QUANTILES: Final = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
METHOD: Final = (
    "one-sided beta-binomial mixture tests (prior Beta(5θ, 5(1-θ)) cut at the threshold "
    "θ), anytime-valid by Ville's inequality; bounds are their inversions, running max/min"
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
    what: str = ""
    """What the mean is, in words."""
    claim: str = ""
    """What passing means, e.g. `pattern plan_accuracy >= 0.8`."""
    note: str
    """The result in one sentence."""


@dataclass(frozen=True)
class Monitor:
    """One check as a stream of outcomes: which trials, which value, against what."""

    index: int
    name: str
    planner: str
    kind: Kind | None
    label: str = ""
    """`<planner> <metric>[<category>]`, as the check's message names it."""
    metric: str = ""
    category: str | None = None
    target: float = 0.5
    holds_above: bool = True
    """The check holds when the mean is at least `target` (else at most)."""
    claim: str = ""
    """What passing means, e.g. `pattern plan_accuracy >= 0.8`."""
    other: str | None = None
    other_metric: str | None = None
    cutoff: float | None = None
    """A quantile check's latency threshold, in ms."""
    strict: bool = False
    what: str = ""
    reason: str = ""
    """Why a check is not sequential."""

    @property
    def planners(self) -> list[str]:
        """The planners whose trials the check reads."""
        return [self.planner] if self.other is None else [self.planner, self.other]


def _not_sequential(index: int, name: str, planner: str, reason: str) -> Monitor:
    return Monitor(index=index, name=name, planner=planner, kind=None, reason=reason)


def _monitor(
    index: int, name: str, spec: CheckSpec, planner: str, registry: MetricRegistry
) -> Monitor:
    label = f"{planner} {spec.metric}" + (f"[{spec.category}]" if spec.category else "")
    base = Monitor(index=index, name=name, planner=planner, kind=None, label=label)
    resolved = registry.resolve(spec.metric)
    up = spec.op in (">=", ">")
    if isinstance(spec.threshold, MetricRef):
        ref = spec.threshold
        ref_metric = ref.metric or spec.metric
        ref_resolved = registry.resolve(ref_metric)
        rates = [
            r is not None and r[0].kind == "rate" and r[1] is None for r in (resolved, ref_resolved)
        ]
        if not all(rates) or spec.use != "point" or ref.use != "point":
            return _not_sequential(
                index, name, planner,
                "only two rates' point estimates are compared sequentially (paired)",
            )  # fmt: skip
        return replace(
            base, kind="paired", metric=spec.metric, category=spec.category, target=0.5,
            holds_above=up, other=ref.planner, other_metric=ref_metric,
            claim=f"{label} {spec.op} {ref.planner} {ref_metric}",
            what=f"share of the discordant cases that {planner} got right",
        )  # fmt: skip
    threshold = float(spec.threshold)
    if resolved is not None and resolved[0].kind == "rate" and resolved[1] is None:
        if not 0.0 <= threshold <= 1.0:
            return _not_sequential(index, name, planner, "a rate's threshold outside [0, 1]")
        return replace(
            base, kind="rate", metric=spec.metric, category=spec.category,
            target=threshold, holds_above=up, claim=f"{label} {spec.op} {threshold:g}",
            what="rate",
        )  # fmt: skip
    if resolved is not None and resolved[0].kind == "latency" and resolved[1] in QUANTILES:
        level = QUANTILES[resolved[1]]
        # p <= T  <=>  P(v <= T) >= level;  p >= T  <=>  P(v < T) <= level.
        strict = spec.op in ("<", ">=")
        return replace(
            base, kind="quantile", metric=resolved[0].name, category=spec.category,
            target=level, holds_above=not up, cutoff=threshold, strict=strict,
            claim=f"{label} {spec.op} {threshold:g}",
            what=f"share of trials {'under' if strict else 'within'} {threshold:g} ms",
        )  # fmt: skip
    return _not_sequential(
        index, name, planner, "only rates, latency percentiles and paired rates are sequential"
    )


def monitors(
    config: GatesConfig, labels: Sequence[str], registry: MetricRegistry = DEFAULT_METRICS
) -> list[Monitor]:
    """One monitor per check the run will report, in the order of `gates.checks`.

    Checks on a planner (or against a reference) that is not in the run get none: they
    are skipped at the end and hold up nothing.
    """
    found: list[Monitor] = []
    for index, (spec, planner) in enumerate(check_targets(config, labels)):
        ref = spec.threshold.planner if isinstance(spec.threshold, MetricRef) else None
        if planner == ALL_PLANNERS or planner not in labels or (ref and ref not in labels):
            continue
        name = spec.name or ""  # the check's own name is filled in from the report
        if spec.metric.startswith("robustness."):
            continue  # defined only with --perturb, which a sequential run does not take
        found.append(_monitor(index, name, spec, planner, registry))
    return found


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


def _decide(
    monitor: Monitor, flags: np.ndarray, places: np.ndarray, alpha: float
) -> tuple[Status, int | None]:
    passing: Side = "above" if monitor.holds_above else "below"
    failing: Side = "below" if monitor.holds_above else "above"
    shown_pass = int(crossing(flags, monitor.target, passing, alpha))
    shown_fail = int(crossing(flags, monitor.target, failing, alpha))
    if shown_pass and (not shown_fail or shown_pass <= shown_fail):
        return "pass", int(places[shown_pass - 1])
    if shown_fail:
        return "fail", int(places[shown_fail - 1])
    return "undecided", None


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
            lower, upper = bounds(flags, alpha)
            low, high = float(lower[-1]), float(upper[-1])
        gate = common.model_copy(
            update={
                "kind": monitor.kind, "status": status, "decided_after": decided,
                "observations": int(flags.size), "target": monitor.target,
                "mean": float(flags.mean()) if flags.size else None, "lower": low,
                "upper": high, "what": monitor.what, "claim": monitor.claim,
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
