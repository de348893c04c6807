"""Accuracy under load: scored runs, their figures per planner and step, the unloaded test.

The figures are per planner, overall and per load step, and are compared with the same
cases' accuracy without load.

Every finished run of the `gold` scenario becomes a `QualityRow`: the eval's own trial row
(`evals.results.TrialResult`, scored by `load.scoring`) with when it was submitted, in
which load step, and its end-to-end latency. `quality_report` turns the rows into the
figures of the load summary; each rate is a metric of the eval's registry
(`QUALITY_METRICS`), computed by the eval's own code. Repeats are not new cases: a case
drawn many times under load is one cluster, so every interval clusters the runs by case
(`evals.stats.clustered_interval`), and the comparison with the unloaded accuracy pairs
one majority verdict per case (`evals.comparison`): the exact McNemar test on the cases
both sides ran, or, when they share no case, a two-proportion z-test on the per-case
verdicts of each side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Final, Literal

import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from crane_bench.evals.comparison import case_verdicts, compare_verdicts, points
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import (
    PlannerMetrics,
    category_metrics,
    compute_metrics,
    trials_frame,
)
from crane_bench.evals.power import POWER, two_proportion_mde
from crane_bench.evals.results import TrialResult
from crane_bench.evals.stats import percentiles
from crane_bench.load.quality_models import (
    DEFAULT_ALPHA,
    AccuracyMetric,
    Direction,
    PlannerQuality,
    QualityReport,
    QualityStats,
    StepQuality,
    UnloadedComparison,
)

__all__ = [
    "ACCURACY_COLUMNS",
    "QUALITY_METRICS",
    "QualityRow",
    "compare_with_unloaded",
    "quality_metrics",
    "quality_report",
    "quality_stats",
]

ACCURACY_COLUMNS: Final[dict[AccuracyMetric, Literal["plan_correct", "end_to_end_correct"]]] = {
    "plan_accuracy": "plan_correct",
    "end_to_end_accuracy": "end_to_end_correct",
}
DIRECTIONS: Final[dict[str | None, Direction]] = {
    "loaded": "higher",
    "unloaded": "lower",
    None: "no_difference",
}
"""The better side of a paired comparison (None: neither) -> how load moved the metric."""


class QualityRow(TrialResult):
    """One gold run under load: the eval's row for it, plus when and how fast it ran.

    It is an eval row with four fields more, so the eval's readers and the report's
    failing-cases table read `quality.jsonl` as they read `results.jsonl`.
    """

    t: float
    """Seconds from the start of the load to the submission."""
    step: int
    """0-based stage of the load shape at submission."""
    users: int
    """Users of that stage (the peak for a steady load)."""
    run_ms: float
    """End-to-end latency: submission to the terminal answer, as the client saw it."""


QUALITY_METRICS: Final[dict[str, str]] = {
    "plan_accuracy": "plan_accuracy",
    "end_to_end_accuracy": "outcome_accuracy",
    "model_call_rate": "model_call_rate",
    "fallback_rate": "fallback_rate",
}
"""`QualityStats` field -> the metric of the eval's registry that computes it. The load
summary keeps its field names (`end_to_end_accuracy` is the registry's
`outcome_accuracy`); what each means, and how it counts, is the registry's."""
_REGISTRY: Final = MetricRegistry(
    tuple(metric for name in QUALITY_METRICS.values() if (metric := DEFAULT_METRICS.get(name)))
)


def quality_stats(trials: Sequence[TrialResult], run_ms: Sequence[float] = ()) -> QualityStats:
    """The figures of a set of scored runs (and their end-to-end latencies, if known).

    The rates are the eval's metrics (`evals.metric_registry`), computed as an eval
    computes them (`evals.metrics.category_metrics`): clustered by case, a fallback
    counted as the eval counts it.
    """
    figures = category_metrics(trials_frame(trials, _REGISTRY), _REGISTRY)
    values: dict[str, object] = {"n": figures.n, "cases": figures.cases}
    for field, name in QUALITY_METRICS.items():
        rate = figures.rate(name)
        values[field], values[f"{field}_ci"] = rate.value, rate.ci
    values["fallback_reasons"] = figures.fallback_reasons
    values["outcomes"] = {name: count for name, count in figures.outcomes.items() if count}
    if run_ms:
        values["run_p50_ms"], values["run_p95_ms"] = percentiles(list(run_ms), (50.0, 95.0))
    return QualityStats.model_validate(values)


def quality_metrics(rows: Iterable[TrialResult]) -> dict[str, PlannerMetrics]:
    """The eval's metrics of the scored runs, by planner label: what quality gates read.

    Every metric of the registry, computed as `crane-bench eval` computes it, so a check
    of the `quality:` section means under load what it means in `evals/gates.yaml`.
    """
    return compute_metrics(trials_frame(rows, DEFAULT_METRICS), DEFAULT_METRICS)


def _verdicts(trials: Sequence[TrialResult], column: str) -> pd.Series:
    frame = pd.DataFrame(
        {"case_id": [t.case_id for t in trials], column: [getattr(t, column) for t in trials]}
    )
    return case_verdicts(frame, column)  # type: ignore[arg-type]


def _words(metric: str, loaded: float, unloaded: float, direction: str, test: str) -> str:
    said = {
        "lower": "significantly lower under load",
        "higher": "significantly higher under load",
        "no_difference": "no significant difference",
    }[direction]
    name = metric.replace("_", " ")
    return f"{name} {loaded:.3f} under load vs {unloaded:.3f} unloaded: {said} ({test})"


def compare_with_unloaded(
    loaded: Sequence[TrialResult],
    unloaded: Sequence[TrialResult],
    metric: AccuracyMetric,
    alpha: float = DEFAULT_ALPHA,
) -> UnloadedComparison | None:
    """Compare one planner's accuracy under load with its accuracy without load.

    Each side is reduced to one verdict per case (right in a strict majority of its runs).
    Where the two share cases, the exact McNemar test on those cases; else a two-proportion
    z-test on each side's cases. None when a side has no run.
    """
    if not loaded or not unloaded:
        return None
    column = ACCURACY_COLUMNS[metric]
    under, without = _verdicts(loaded, column), _verdicts(unloaded, column)
    common = under.index.intersection(without.index)
    if len(common):
        paired = compare_verdicts(
            under, without, planner_a="loaded", planner_b="unloaded", metric=column, alpha=alpha
        )
        share_loaded = (paired.both_right + paired.a_only) / paired.n_pairs
        share_unloaded = (paired.both_right + paired.b_only) / paired.n_pairs
        direction: Direction = DIRECTIONS[paired.winner]
        tested = (
            f"paired exact McNemar on {paired.n_pairs} cases: {paired.a_only} right only "
            f"under load, {paired.b_only} only unloaded, p = {paired.p_value:.3g}"
        )
        if direction == "no_difference":
            tested += f"; {paired.detectable}"
        return UnloadedComparison(
            metric=metric,
            test="mcnemar",
            loaded=share_loaded,
            unloaded=share_unloaded,
            loaded_cases=len(under),
            unloaded_cases=len(without),
            n_pairs=paired.n_pairs,
            only_loaded=paired.a_only,
            only_unloaded=paired.b_only,
            p_value=paired.p_value,
            alpha=alpha,
            direction=direction,
            verdict=_words(metric, share_loaded, share_unloaded, direction, tested),
        )
    k = [int(under.sum()), int(without.sum())]
    n = [len(under), len(without)]
    shares = (k[0] / n[0], k[1] / n[1])
    p_value = 1.0
    if 0 < sum(k) < sum(n):  # else both sides all right or all wrong: nothing to test
        p_value = float(proportions_ztest(k, n)[1])
    moved: Direction = "no_difference"
    if p_value < alpha:
        moved = "higher" if shares[0] > shares[1] else "lower"
    tested = f"two-proportion z-test, {n[0]} vs {n[1]} cases, no case in common, p = {p_value:.3g}"
    if moved == "no_difference":
        drop = two_proportion_mde(n[0], n[1], shares[1], alpha)
        tested += (
            f"; these cases detect a drop of {points(drop)} or more {POWER:.0%} of the time"
            if drop is not None
            else f"; these cases detect no drop {POWER:.0%} of the time"
        )
    return UnloadedComparison(
        metric=metric,
        test="two_proportion",
        loaded=shares[0],
        unloaded=shares[1],
        loaded_cases=n[0],
        unloaded_cases=n[1],
        p_value=p_value,
        alpha=alpha,
        direction=moved,
        verdict=_words(metric, shares[0], shares[1], moved, tested),
    )


def _by_step(rows: Sequence[QualityRow]) -> list[StepQuality]:
    steps: defaultdict[int, list[QualityRow]] = defaultdict(list)
    for row in rows:
        steps[row.step].append(row)
    found = []
    for step, mine in sorted(steps.items()):
        stats = quality_stats(mine, [r.run_ms for r in mine])
        found.append(
            StepQuality(
                **stats.model_dump(),
                step=step,
                users=max(r.users for r in mine),
                from_s=min(r.t for r in mine),
                until_s=max(r.t for r in mine),
            )
        )
    return found


def quality_report(
    rows: Iterable[QualityRow],
    unloaded: Iterable[TrialResult] = (),
    *,
    unloaded_source: str = "none",
    alpha: float = DEFAULT_ALPHA,
) -> QualityReport:
    """The quality figures of a `gold` load run, per planner label.

    Args:
        rows: The scored runs under load.
        unloaded: The unloaded reference rows (of the same labels; others are ignored).
        unloaded_source: Where those came from, as the summary should say it.
        alpha: Significance level of the comparisons.
    """
    by_planner: defaultdict[str, list[QualityRow]] = defaultdict(list)
    for row in rows:
        by_planner[row.planner].append(row)
    reference: defaultdict[str, list[TrialResult]] = defaultdict(list)
    for trial in unloaded:
        reference[trial.planner].append(trial)
    planners: dict[str, PlannerQuality] = {}
    for label, mine in sorted(by_planner.items()):
        trials: list[TrialResult] = list(mine)
        overall = quality_stats(trials, [r.run_ms for r in mine])
        base = reference.get(label, [])
        comparisons = [
            found
            for metric in ACCURACY_COLUMNS
            if (found := compare_with_unloaded(trials, base, metric, alpha)) is not None
        ]
        planners[label] = PlannerQuality(
            **overall.model_dump(),
            by_step=_by_step(mine),
            unloaded=quality_stats(base) if base else None,
            comparisons=comparisons,
        )
    return QualityReport(unloaded_source=unloaded_source, planners=planners)
