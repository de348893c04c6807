"""Each check of a gates file as a sequential monitor: which trials, which outcome, which test.

`monitors` turns the checks of a run into `Monitor`s (`evals.sequential` says what each
kind means and replays them): a rate against a number, a latency percentile against a
number, a rate against another planner's. With the suite's case counts (`scope`), each
test's prior weight is tuned to half the cases its check reads
(`evals.confseq.tuned_strength`, fixed before the run; a paired check, which reads an
unknown number of discordant cases, keeps the fixed weight), and a check whose full-run
figure is a finite population's (the point estimate of a rate every trial has; the p95 of
a planner no trial of which the response cache can answer) gets the counts of the suite
test that decides it (`evals.confseq_finite`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from crane_bench.evals.confseq import STRENGTH, Side, tuned_strength
from crane_bench.evals.gate_config import (
    ALL_PLANNERS,
    CheckSpec,
    GatesConfig,
    MetricRef,
    check_targets,
)
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry

Kind = Literal["rate", "quantile", "paired"]
QUANTILES: Final = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
EVERY_TRIAL: Final = frozenset(
    {
        "plan_accuracy", "tool_accuracy", "args_accuracy", "outcome_accuracy",
        "valid_plan_rate", "model_call_rate", "fallback_rate", "step_accuracy",
    }
)  # fmt: skip
"""The rates every trial has a value of (`evals.metric_registry`): a suite of N cases has
N of them, so the full run's rate is a finite population's."""
_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}  # fmt: skip


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
    strength_above: float = STRENGTH
    """The prior weight of the test that shows the mean above its target."""
    strength_below: float = STRENGTH
    population: int | None = None
    """N: the test is of the suite's N cases (`evals.confseq_finite`); None: of a rate."""
    pass_test: tuple[Side, int] = ("above", 0)
    """With `population`: the side and count m of the test whose rejection passes."""
    fail_test: tuple[Side, int] = ("below", 0)

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
    config: GatesConfig,
    labels: Sequence[str],
    registry: MetricRegistry = DEFAULT_METRICS,
    *,
    scope: Mapping[str | None, int] | None = None,
    live: Collection[str] = (),
) -> list[Monitor]:
    """One monitor per check the run will report, in the order of `gates.checks`.

    Checks on a planner (or against a reference) that is not in the run get none: they
    are skipped at the end and hold up nothing.

    Args:
        config: The gates.
        labels: The run's planners.
        registry: The metrics.
        scope: Cases of the suite per category (None: every case). Given, each test's prior
            is tuned to half the cases its check reads, and point estimates are tested as
            the suite's own (`evals.confseq_finite`); omitted, the fixed prior of
            `evals.confseq.STRENGTH` and rates only.
        live: Planners none of whose trials the response cache can answer.
    """
    found: list[Monitor] = []
    for index, (spec, planner) in enumerate(check_targets(config, labels)):
        ref = spec.threshold.planner if isinstance(spec.threshold, MetricRef) else None
        if planner == ALL_PLANNERS or planner not in labels or (ref and ref not in labels):
            continue
        name = spec.name or ""  # the check's own name is filled in from the report
        if spec.metric.startswith("robustness."):
            continue  # defined only with --perturb, which a sequential run does not take
        monitor = _monitor(index, name, spec, planner, registry)
        if scope is not None and monitor.kind is not None:
            monitor = _tuned(monitor, spec, scope, planner in live, config.sequential.alpha)
        found.append(monitor)
    return found


def _tuned(
    monitor: Monitor, spec: CheckSpec, scope: Mapping[str | None, int], live: bool, alpha: float
) -> Monitor:
    """The monitor with its priors tuned, and its finite-population test when it has one.

    A paired check keeps the fixed prior: it reads only the cases where the two planners
    disagree, whose number is not known before the run (a few dozen of 223 on the gold
    suite), and a prior tuned to half the suite would decide those later, not sooner.
    """
    if monitor.kind == "paired":
        return monitor
    n = scope.get(monitor.category, 0)
    half = max(1, math.ceil(n / 2))
    tuned = replace(
        monitor,
        strength_above=tuned_strength(monitor.target, "above", alpha, half),
        strength_below=tuned_strength(monitor.target, "below", alpha, half),
    )
    if n < 1:
        return tuned
    if monitor.kind == "rate" and spec.use == "point" and monitor.metric in EVERY_TRIAL:
        passes = [j for j in range(n + 1) if _COMPARE[spec.op](j / n, monitor.target)]
        if monitor.holds_above:  # passes from a up: a - 1 or fewer right fails
            a = min(passes, default=n + 1)
            pass_test: tuple[Side, int] = ("above", a - 1)
            fail_test: tuple[Side, int] = ("below", a)
        else:  # passes up to b
            b = max(passes, default=-1)
            pass_test, fail_test = ("below", b + 1), ("above", b)
    elif monitor.kind == "quantile" and monitor.holds_above and live:
        # p <= T: passes when the order statistic above the interpolation point is within
        # T, fails when the one below it is not (`stats.percentiles`: numpy's linear).
        h = (n - 1) * monitor.target
        pass_test, fail_test = ("above", math.ceil(h)), ("below", math.floor(h) + 1)
    else:
        return tuned
    return replace(
        tuned,
        population=n,
        pass_test=pass_test,
        fail_test=fail_test,
        what=f"{monitor.what} over the suite's {n} cases",
    )
