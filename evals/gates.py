"""Quality gates: evaluate the checks of a gates file, and the regression gate, on a run.

The file format and its loader are `evals.gate_config`. A check whose planner, category
or metric value is missing from the run is skipped, never failed, and says why. The
regression gate compares each planner with a baseline run: it fails when the planner is
significantly worse on the paired cases (exact McNemar, more regressions than fixes) or
when a metric moves the wrong way by more than its tolerance; improvements are reported
as passing checks marked `improved`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd
from pydantic import BaseModel

from crane_bench.evals.comparison import case_verdicts, compare_verdicts
from crane_bench.evals.figures import figure_value
from crane_bench.evals.gate_config import (
    ALL_PLANNERS,
    CheckSpec,
    GatesConfig,
    MetricRef,
    RegressionSpec,
    Use,
    check_targets,
    is_rate,
    load_gates,
    robustness_path,
)
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import CategoryMetrics, PlannerMetrics, read_summary_metrics
from crane_bench.evals.run_reader import read_results
from crane_bench.plumbing.gates import GateCheck, GateReport, GateStatus
from crane_bench.plumbing.run_files import RESULTS_FILE, SUMMARY_FILE

__all__ = [
    "Baseline",
    "GateCheck",
    "GateReport",
    "GatesConfig",
    "check_targets",
    "evaluate_gates",
    "load_baseline",
    "load_gates",
    "lookup_metric",
    "regression_checks",
]

OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
NEGATED: Final = {">=": "<", "<=": ">", ">": "<=", "<": ">="}
USE_NOTES: Final = {"lower_bound": "lower bound of 95% CI", "upper_bound": "upper bound of 95% CI"}


@dataclass(frozen=True)
class Baseline:
    """A baseline run: its per-planner metrics and, when kept, its trials frame."""

    metrics: dict[str, PlannerMetrics]
    frame: pd.DataFrame | None = None
    """Needed for the paired test; without it that check is skipped."""


def load_baseline(run_dir: Path) -> Baseline:
    """Read a baseline run directory: `summary.json`, and `results.jsonl` if present.

    Raises:
        RunLogError: A file is missing or malformed.
    """
    results = run_dir / RESULTS_FILE
    frame = read_results(results) if results.exists() else None
    return Baseline(metrics=read_summary_metrics(run_dir / SUMMARY_FILE), frame=frame)


def format_value(value: float, metric: str, metrics: MetricRegistry = DEFAULT_METRICS) -> str:
    """Rates with three decimals; other metrics with enough digits to read."""
    if is_rate(metric, metrics):
        return f"{value:.3f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def lookup_metric(metrics: CategoryMetrics, metric: str, use: Use = "point") -> float | None:
    """The value of a metric path (validated by `evals.gate_config`); None if undefined.

    A registered metric's figure is read from the summary by name, so a metric the run
    did not record (a summary from before it was registered) is undefined, never zero.
    """
    head, _, tail = metric.partition(".")
    if head == "robustness":
        return _robustness_value(metrics, metric, use)
    if head == "outcomes":
        return float(metrics.outcomes.get(tail, 0))
    if head in ("n", "cases"):
        return float(getattr(metrics, head))
    figure = metrics.figure(head)
    if figure is not None and use != "point" and figure.kind == "rate":
        bounds = figure.ci
        return None if bounds is None else bounds[0 if use == "lower_bound" else 1]
    return None if figure is None else figure_value(figure, tail or None)


def _field_value(figures: BaseModel, field: str, use: Use) -> float | None:
    """A rate's point estimate or a bound of its `<field>_ci`; None when undefined."""
    if use == "point":
        value = getattr(figures, field)
        return None if value is None else float(value)
    interval: tuple[float, float] | None = getattr(figures, f"{field}_ci")
    if interval is None:
        return None
    return interval[0] if use == "lower_bound" else interval[1]


def _robustness_value(metrics: CategoryMetrics, metric: str, use: Use) -> float | None:
    """A `robustness.<perturbation>.<field>` value; None when the run has no such figure."""
    found = robustness_path(metric)
    if found is None or not isinstance(metrics, PlannerMetrics):
        return None
    name, field = found
    figures = metrics.robustness.get(name)
    return None if figures is None else _field_value(figures, field, use)


def _scope(
    metrics: dict[str, PlannerMetrics], planner: str, category: str | None
) -> CategoryMetrics | str:
    """The metrics a check reads, or why they are missing."""
    if planner not in metrics:
        return f"planner {planner!r} not in this run"
    if category is None:
        return metrics[planner]
    by_category = metrics[planner].by_category
    return by_category.get(category) or f"no {category!r} cases for {planner!r} in this run"


def _skip(name: str, what: str, why: str) -> GateCheck:
    return GateCheck(name=name, status="skip", message=f"SKIP {what}: {why}")


def _ref_label(ref: MetricRef, metric: str) -> str:
    bound = f" ({USE_NOTES[ref.use]})" if ref.use != "point" else ""
    return f"{ref.planner} {ref.metric or metric}{bound}"


def _threshold_check(
    spec: CheckSpec,
    planner: str,
    metrics: dict[str, PlannerMetrics],
    registry: MetricRegistry = DEFAULT_METRICS,
) -> GateCheck:
    what = f"{planner} {spec.metric}" + (f"[{spec.category}]" if spec.category else "")
    ref = spec.threshold if isinstance(spec.threshold, MetricRef) else None
    shown = _ref_label(ref, spec.metric) if ref else f"{spec.threshold:g}"
    name = spec.name or f"{what} {spec.op} {shown}"
    scope = _scope(metrics, planner, spec.category)
    if isinstance(scope, str):
        return _skip(name, what, scope)
    value = lookup_metric(scope, spec.metric, spec.use)
    if value is None:
        return _skip(name, what, "undefined in this run")
    notes = [USE_NOTES[spec.use]] if spec.use != "point" else []
    threshold: float | None
    if isinstance(spec.threshold, MetricRef):
        ref_scope = _scope(metrics, spec.threshold.planner, spec.category)
        if isinstance(ref_scope, str):
            return _skip(name, what, f"reference {ref_scope}")
        ref_metric = spec.threshold.metric or spec.metric
        threshold = lookup_metric(ref_scope, ref_metric, spec.threshold.use)
        notes.append(f"vs {shown}")
    else:
        threshold = spec.threshold
    if threshold is None:
        return _skip(name, what, f"reference {shown} undefined in this run")
    passed = OPS[spec.op](value, threshold)
    shown_op = spec.op if passed else NEGATED[spec.op]
    note = f" ({'; '.join(notes)})" if notes else ""
    message = (
        f"{'PASS' if passed else 'FAIL'} {what} {format_value(value, spec.metric, registry)} "
        f"{shown_op} {format_value(threshold, spec.metric, registry)}{note}"
    )
    status = "pass" if passed else "fail"
    return GateCheck(name=name, status=status, message=message, value=value, limit=threshold)


def _tolerance_checks(
    planner: str,
    current: PlannerMetrics,
    base: PlannerMetrics,
    spec: RegressionSpec,
    registry: MetricRegistry,
) -> list[GateCheck]:
    checks: list[GateCheck] = []
    for metric, tolerance in spec.tolerances.items():
        name, what = f"regression {planner} {metric}", f"{planner} {metric}"
        now, before = lookup_metric(current, metric), lookup_metric(base, metric)
        if now is None or before is None:
            checks.append(_skip(name, what, "undefined in this run or the baseline"))
            continue
        allowed = tolerance.allowance(before)
        sign = -1.0 if tolerance.better == "lower" else 1.0
        gain = sign * (now - before)
        shown = f"{format_value(now, metric, registry)} vs baseline "
        change = shown + format_value(before, metric, registry)
        delta = format_value(abs(now - before), metric, registry)
        status: GateStatus = "pass"
        verdict = f"PASS {what} {change}"
        if gain < -allowed:
            status, verdict = "fail", f"FAIL {what} {change}: worse by {delta}"
        elif gain > allowed:
            status, verdict = "improved", f"IMPROVED {what} {change}: better by {delta}"
        checks.append(
            GateCheck(
                name=name,
                status=status,
                message=f"{verdict} (tolerance {format_value(allowed, metric, registry)})",
                value=now,
                limit=before - sign * allowed,
            )
        )
    return checks


def _paired_check(
    planner: str, frame: pd.DataFrame | None, base: pd.DataFrame | None, spec: RegressionSpec
) -> GateCheck:
    metric = spec.paired_metric
    name, what = f"regression {planner} {metric} (paired)", f"{planner} {metric} vs baseline"
    if frame is None or base is None:
        return _skip(name, what, "no per-case results for the paired test")
    comparison = compare_verdicts(
        case_verdicts(base[base["planner"] == planner], metric),
        case_verdicts(frame[frame["planner"] == planner], metric),
        planner_a="baseline",
        planner_b=planner,
        metric=metric,
        alpha=spec.alpha,
    )
    if comparison.n_pairs == 0:
        return _skip(name, what, "no cases in common with the baseline")
    lost, won, p = comparison.a_only, comparison.b_only, comparison.p_value
    counts = f"{lost} regressions, {won} fixes on {comparison.n_pairs} paired cases"
    test = f"exact McNemar p={p:.4f}"
    worse, better = comparison.winner == "baseline", comparison.winner == planner
    status: GateStatus = "pass"
    message = f"PASS {what}: {counts} ({test}); {comparison.detectable}"
    if worse:
        status = "fail"
        message = f"FAIL {what}: significantly worse, {counts} ({test} < {spec.alpha})"
    elif better:
        status, message = "improved", f"IMPROVED {what}: significantly better, {counts} ({test})"
    return GateCheck(name=name, status=status, message=message, value=p, limit=spec.alpha)


def regression_checks(
    metrics: dict[str, PlannerMetrics],
    spec: RegressionSpec,
    baseline: Baseline,
    frame: pd.DataFrame | None = None,
    registry: MetricRegistry = DEFAULT_METRICS,
) -> list[GateCheck]:
    """Compare every planner of the run or the baseline with its baseline self."""
    checks: list[GateCheck] = []
    for planner in sorted(metrics.keys() | baseline.metrics.keys()):
        name = f"regression {planner}"
        if planner not in metrics:
            checks.append(_skip(name, planner, "in the baseline but not in this run"))
        elif planner not in baseline.metrics:
            checks.append(_skip(name, planner, "not in the baseline"))
        else:
            current, base = metrics[planner], baseline.metrics[planner]
            checks += _tolerance_checks(planner, current, base, spec, registry)
            checks.append(_paired_check(planner, frame, baseline.frame, spec))
    return checks


def evaluate_gates(
    metrics: dict[str, PlannerMetrics],
    config: GatesConfig,
    baseline: Baseline | None = None,
    *,
    frame: pd.DataFrame | None = None,
    registry: MetricRegistry = DEFAULT_METRICS,
) -> GateReport:
    """Run every check of `config` on a run's metrics, and the regression gate if a baseline.

    Args:
        metrics: The run's metrics by planner (`evals.metrics.compute_metrics`).
        config: The gates (`load_gates`).
        baseline: A baseline run to compare with; None skips the regression gate.
        frame: The run's trials frame, for the paired regression test.
        registry: The metrics `config` was validated against (`load_gates`).
    """
    checks: list[GateCheck] = []
    for spec, planner in check_targets(config, metrics):
        if planner == ALL_PLANNERS:
            checks.append(_skip(spec.name or spec.metric, f"* {spec.metric}", "no planners"))
        else:
            checks.append(_threshold_check(spec, planner, metrics, registry))
    if baseline is not None:
        checks += regression_checks(metrics, config.regression, baseline, frame, registry)
    return GateReport.of(checks)
