"""Metrics per planner and per category, computed from trial rows after the run.

Which metrics, how each reads a trial and how it aggregates, is the registry's
(`evals.metric_registry`); this module applies one. The rows become a pandas DataFrame
of their scalar columns and one column of per-trial values per metric (`trials_frame`;
`evals.run_reader` reads a run's file into one); the plan and the raw model output stay
on disk, so memory grows with the number of rows, not with what the model wrote. Every
rate comes with a 95% interval. Repeats of a case are not new cases: with repeats, the
intervals cluster the trials by case (`stats.clustered_interval`), so 20 repeats of a
deterministic planner give the interval of one run, not one 20 times narrower. pass@k,
pass^k and the flaky cases, which exist only with repeats, count a trial as a success
when its plan is right (`plan_correct`): the planner's own work, independent of the
tools it calls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from crane_bench.evals.errors import RunLogError
from crane_bench.evals.figures import Figure, LatencyFigure, RateFigure, aggregate
from crane_bench.evals.metric_registry import DEFAULT_METRICS, NOT_FALLBACKS, MetricRegistry
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.robustness import RobustnessMetrics, originals, robustness_metrics
from crane_bench.evals.stats import pass_at_k, pass_hat_k
from crane_bench.plumbing.validation import first_problem

SCALAR_COLUMNS: Final[dict[str, str]] = {
    "case_id": "str",
    "planner": "str",
    "repeat": "int64",
    "category": "str",
    "outcome": "str",
    "tool_correct": "bool",
    "step_count_correct": "bool",
    "args_correct": "bool",
    "plan_correct": "bool",
    "end_to_end_correct": "bool",
    "valid_plan": "bool",
    "expected_abstain": "bool",
    "abstained": "bool",
    "latency_ms": "float64",
    "tokens_in": "int64",
    "tokens_out": "int64",
    "cost_usd": "float64",
    "fallback_reason": "object",
    "model_calls": "int64",
    "cached": "bool",
    "perturbation": "object",
    "source_case": "object",
}
"""The row fields of a trials frame and their dtypes (the paired tests, charts and filters
read them); each registered metric adds its own column of per-trial values."""

METRIC_COLUMN: Final = "metric:{}"
"""The trials frame's column of a metric's per-trial values (NaN: the trial does not count)."""


def metric_column(name: str) -> str:
    """The trials frame's column holding metric `name`'s per-trial values."""
    return METRIC_COLUMN.format(name)


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A summary's metrics as version 1 wrote them (flat fields) in today's shape.

    Version 1 wrote each rate as `<name>` and `<name>_ci`, latencies as objects and the
    means as numbers; they move into `metrics`, keyed by the same names.
    """
    flat = dict(data)
    figures: dict[str, Any] = {}
    for key in [k for k in flat if f"{k}_ci" in flat]:
        figures[key] = {"kind": "rate", "value": flat.pop(key), "ci": flat.pop(f"{key}_ci")}
    for key in ("latency_ms", "model_latency_ms"):
        if key in flat:
            stats = flat.pop(key)
            figures[key] = {"kind": "latency", **stats} if stats is not None else None
    for key in ("tokens_per_plan", "cost_per_plan_usd"):
        if key in flat:
            figures[key] = {"kind": "mean", "value": flat.pop(key)}
    flat["metrics"] = {k: v for k, v in figures.items() if v is not None}
    return flat


class CategoryMetrics(BaseModel):
    """What one planner scored on a set of trials (all of them, or one category's).

    `metrics` holds one figure per registered metric (`evals.metric_registry`), by name.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    n: int
    """Trials."""
    cases: int
    """Distinct cases among the trials."""
    metrics: dict[str, Figure]
    """Metric name -> its figure (`evals.figures`)."""
    outcomes: dict[str, int]
    """Trials per outcome class; every class is listed, zeros included."""
    fallback_reasons: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _older_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "metrics" not in data and "n" in data:
            return _from_v1(data)
        return data

    def figure(self, name: str) -> Figure | None:
        """The figure of metric `name`; None when this summary does not hold it."""
        return self.metrics.get(name)

    def rate(self, name: str) -> RateFigure:
        """The rate called `name` (an empty one when absent or not a rate)."""
        found = self.metrics.get(name)
        return found if isinstance(found, RateFigure) else RateFigure()

    def latency(self, name: str = "latency_ms") -> LatencyFigure:
        """The latency called `name` (an empty one when absent or not a latency)."""
        found = self.metrics.get(name)
        return found if isinstance(found, LatencyFigure) else LatencyFigure()

    def value(self, name: str) -> float | None:
        """A rate's or a mean's or sum's value; None when absent, undefined or a latency."""
        found = self.metrics.get(name)
        return None if found is None or isinstance(found, LatencyFigure) else found.value


class PlannerMetrics(CategoryMetrics):
    """What one planner scored over the run, split by category, with repeat statistics."""

    by_category: dict[str, CategoryMetrics]
    repeats: int = 1
    """Most trials of any one case."""
    pass_at_k: dict[int, float] | None = None
    """k -> mean over cases of pass@k (`plan_correct`), for k = 1..repeats; None without
    repeats. A case with fewer than k trials (an interrupted run) is left out for that k."""
    pass_hat_k: dict[int, float] | None = None
    """k -> mean over cases of pass^k, like `pass_at_k`."""
    flaky_cases: list[str] | None = None
    """Cases with both right and wrong plans across repeats; None without repeats."""
    robustness: dict[str, RobustnessMetrics] = Field(default_factory=dict)
    """Perturbation name -> the planner on its variants against the originals (runs with
    `--perturb`); every other metric counts the original cases only."""


def _columns(metrics: MetricRegistry) -> dict[str, str]:
    return {**SCALAR_COLUMNS, **{metric_column(m.name): "float64" for m in metrics}}


def _empty_frame(metrics: MetricRegistry) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in _columns(metrics).items()})


def _as_float(value: float | bool | None) -> float:
    return math.nan if value is None else float(value)


def scalar_row(row: TrialResult, metrics: MetricRegistry | None = None) -> dict[str, Any]:
    """The scalar columns of one trial row, and each metric's value if `metrics` is given."""
    record = row.model_dump(mode="json", include=set(SCALAR_COLUMNS))
    for item in metrics or ():
        record[metric_column(item.name)] = _as_float(item.value(row))
    return record


def frame_from_records(
    records: Iterable[dict[str, Any]], metrics: MetricRegistry = DEFAULT_METRICS
) -> pd.DataFrame:
    """Build a trials frame from dicts holding the scalar and the metrics' columns."""
    columns = _columns(metrics)
    frame = pd.DataFrame.from_records(list(records), columns=list(columns))
    if frame.empty:
        return _empty_frame(metrics)
    return frame.astype(columns)


def trials_frame(
    rows: Iterable[TrialResult], metrics: MetricRegistry = DEFAULT_METRICS
) -> pd.DataFrame:
    """One row per trial: the scalar columns of `SCALAR_COLUMNS` and one per metric."""
    return frame_from_records((scalar_row(row, metrics) for row in rows), metrics)


def _group_metrics(trials: pd.DataFrame, metrics: MetricRegistry) -> dict[str, Any]:
    values: dict[str, Any] = {"n": len(trials), "cases": int(trials["case_id"].nunique())}
    values["metrics"] = {
        item.name: aggregate(item.kind, trials[metric_column(item.name)], trials)
        for item in metrics
    }
    counts = trials["outcome"].value_counts()
    values["outcomes"] = {cls.value: int(counts.get(cls.value, 0)) for cls in OutcomeClass}
    reasons = trials["fallback_reason"]
    reasons = reasons.where(~reasons.isin(NOT_FALLBACKS)).dropna()
    reason_counts = reasons.value_counts().sort_index()
    values["fallback_reasons"] = {str(r): int(count) for r, count in reason_counts.items()}
    return values


def category_metrics(
    trials: pd.DataFrame, metrics: MetricRegistry = DEFAULT_METRICS
) -> CategoryMetrics:
    """The figures of a set of trials (built with `metrics`), without repeat statistics.

    What each category of a planner gets; also the figures of a load step's scored runs
    (`load.quality`), so a metric means the same under load as in an eval.
    """
    return CategoryMetrics.model_validate(_group_metrics(trials, metrics))


def _repeat_metrics(trials: pd.DataFrame) -> dict[str, Any]:
    per_case = trials.groupby("case_id")["plan_correct"].agg(["size", "sum"])
    repeats = int(per_case["size"].max())
    if repeats < 2:
        return {"repeats": repeats}
    pairs = [(int(n), int(c)) for n, c in zip(per_case["size"], per_case["sum"], strict=True)]
    pass_at: dict[int, float] = {}
    pass_hat: dict[int, float] = {}
    for k in range(1, repeats + 1):
        eligible = [(n, c) for n, c in pairs if n >= k]
        pass_at[k] = sum(pass_at_k(n, c, k) for n, c in eligible) / len(eligible)
        pass_hat[k] = sum(pass_hat_k(n, c, k) for n, c in eligible) / len(eligible)
    flaky = per_case[(per_case["sum"] > 0) & (per_case["sum"] < per_case["size"])]
    return {
        "repeats": repeats,
        "pass_at_k": pass_at,
        "pass_hat_k": pass_hat,
        "flaky_cases": sorted(str(case) for case in flaky.index),
    }


def planner_metrics(
    trials: pd.DataFrame, metrics: MetricRegistry = DEFAULT_METRICS
) -> PlannerMetrics:
    """Metrics of one planner's trials (a non-empty frame of one planner's rows).

    Raises:
        ValueError: The frame is empty, or lacks a column of `metrics`.
    """
    if trials.empty:
        raise ValueError("no trials: metrics of an empty frame are undefined")
    missing = [m.name for m in metrics if metric_column(m.name) not in trials.columns]
    if missing:
        raise ValueError(
            f"the trials frame has no values of {', '.join(missing)}: build it with the "
            "same metric registry (trials_frame or EvalRun.frame with metrics=...)"
        )
    by_category = {
        str(category): category_metrics(group, metrics)
        for category, group in sorted(trials.groupby("category"), key=lambda item: str(item[0]))
    }
    values = {
        **_group_metrics(trials, metrics),
        **_repeat_metrics(trials),
        "by_category": by_category,
    }
    return PlannerMetrics.model_validate(values)


def compute_metrics(
    frame: pd.DataFrame, metrics: MetricRegistry = DEFAULT_METRICS
) -> dict[str, PlannerMetrics]:
    """Metrics of every planner in a trials frame, by planner name in sorted order.

    Perturbed variants count only in `robustness`; the other metrics are the originals'.

    Args:
        frame: The trials, built with `metrics` (`trials_frame`, `EvalRun.frame`).
        metrics: The metrics to compute.

    Raises:
        ValueError: The frame lacks a metric's column.
    """
    result: dict[str, PlannerMetrics] = {}
    for planner, trials in sorted(frame.groupby("planner"), key=lambda item: str(item[0])):
        figures = planner_metrics(originals(trials), metrics)
        figures.robustness = robustness_metrics(trials)
        result[str(planner)] = figures
    return result


_SUMMARY_PLANNERS: Final = TypeAdapter(dict[str, PlannerMetrics])


def read_summary_metrics(path: Path) -> dict[str, PlannerMetrics]:
    """Read the per-planner metrics (the `planners` key) of a run's `summary.json`.

    Raises:
        RunLogError: The file cannot be read, is not JSON, or holds no valid `planners`.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunLogError(f"{path}: cannot read the summary: {exc}") from None
    if not isinstance(data, dict) or "planners" not in data:
        raise RunLogError(f"{path}: not a run summary: no 'planners' key")
    try:
        return _SUMMARY_PLANNERS.validate_python(data["planners"])
    except ValidationError as exc:
        raise RunLogError(f"{path}: {first_problem(exc, within=('planners',))}") from None
