"""Metrics per planner and per category, computed from trial rows after the run.

The rows become a pandas DataFrame of their scalar columns only (`trials_frame`,
`read_results`); the plan and the raw model output stay on disk, so memory grows with
the number of rows, not with what the model wrote. Every rate comes with a Wilson 95%
interval under `<name>_ci`. Repeats of a case are not new cases: with repeats, the
intervals cluster the trials by case (`stats.clustered_interval`), so 20 repeats of a
deterministic planner give the interval of one run, not one 20 times narrower.
pass@k, pass^k and the flaky cases, which exist only with repeats, count a trial as a
success when its plan is right (`plan_correct`): the planner's own work, independent of
the tools it calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from evals.errors import RunLogError
from evals.results import OutcomeClass, TrialResult
from evals.robustness import RobustnessMetrics, originals, robustness_metrics
from evals.stats import Interval, clustered_interval, pass_at_k, pass_hat_k, percentiles
from plumbing.errors import RunFileError
from plumbing.run_files import JsonlReader

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
"""The columns of a trials frame and their dtypes: every scalar `TrialResult` field needed."""

RATE_COLUMNS: Final[dict[str, str]] = {
    "tool_accuracy": "tool_correct",
    "step_accuracy": "step_count_correct",
    "args_accuracy": "args_correct",
    "plan_accuracy": "plan_correct",
    "outcome_accuracy": "end_to_end_correct",
    "valid_plan_rate": "valid_plan",
}
"""Rates over all trials, and the boolean column each one is the mean of."""


class LatencyStats(BaseModel):
    """Planning latency in milliseconds; percentiles interpolate linearly (numpy default)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    p50: float
    p95: float
    p99: float
    mean: float
    n: int = 0
    """Trials measured."""
    cached_excluded: int = 0
    """Trials left out because the response cache answered them (their time is the
    cache's, not the model's); when every trial was, all are measured and this is 0."""


class CategoryMetrics(BaseModel):
    """What one planner scored on a set of trials (all of them, or one category's)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    n: int
    """Trials."""
    cases: int
    """Distinct cases among the trials."""
    tool_accuracy: float
    tool_accuracy_ci: Interval
    step_accuracy: float
    step_accuracy_ci: Interval
    args_accuracy: float
    args_accuracy_ci: Interval
    plan_accuracy: float
    plan_accuracy_ci: Interval
    outcome_accuracy: float
    """End-to-end: the plan is right and running it gave the expected outcome."""
    outcome_accuracy_ci: Interval
    valid_plan_rate: float
    valid_plan_rate_ci: Interval
    fallback_rate: float
    """Trials where the model was asked and its answer was not (all) used; a plan the rules
    made without asking the model is no fallback (see `fallback_reasons` for why)."""
    fallback_rate_ci: Interval
    model_call_rate: float = 0.0
    """Trials where the model was asked at least once."""
    model_call_rate_ci: Interval = (0.0, 1.0)
    abstention_precision: float | None
    """Of the trials that abstained, the share that should have; None if none abstained."""
    abstention_precision_ci: Interval | None
    abstention_recall: float | None
    """Of the trials that should abstain, the share that did; None if none should."""
    abstention_recall_ci: Interval | None
    false_action_rate: float | None = None
    """Of the trials that should call no tool, the share that planned a step (outcome
    `false_action`); None if none should. The headline figure of `out_of_domain` cases."""
    false_action_rate_ci: Interval | None = None
    latency_ms: LatencyStats
    model_latency_ms: LatencyStats | None = None
    """Latency of the trials that asked the model (None when none did)."""
    tokens_per_plan: float
    """Mean of tokens in plus tokens out per trial."""
    cost_per_plan_usd: float
    outcomes: dict[str, int]
    """Trials per outcome class; every class is listed, zeros included."""
    fallback_reasons: dict[str, int] = Field(default_factory=dict)


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


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in SCALAR_COLUMNS.items()})


def scalar_row(row: TrialResult) -> dict[str, Any]:
    """The scalar columns of one trial row, as a frame expects them."""
    return row.model_dump(mode="json", include=set(SCALAR_COLUMNS))


def frame_from_records(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Build a trials frame from dicts holding (at least) the scalar columns."""
    frame = pd.DataFrame.from_records(list(records), columns=list(SCALAR_COLUMNS))
    if frame.empty:
        return _empty_frame()
    return frame.astype(SCALAR_COLUMNS)


def trials_frame(rows: Iterable[TrialResult]) -> pd.DataFrame:
    """One row per trial, with the scalar columns of `SCALAR_COLUMNS` only."""
    return frame_from_records(scalar_row(row) for row in rows)


def _rate(flags: pd.Series, cases: pd.Series) -> tuple[float | None, Interval | None]:
    """The share of true `flags`, with its interval; trials clustered by case."""
    n = len(flags)
    if n == 0:
        return None, None
    per_case = flags.astype(int).groupby(cases.to_numpy()).agg(["sum", "size"])
    interval = clustered_interval(per_case["sum"].tolist(), per_case["size"].tolist())
    return float(flags.sum()) / n, interval


_NOT_FALLBACKS: Final = frozenset({"pattern_confident"})
"""Reasons older runs recorded although nothing fell back (the rules answered alone)."""


def _latency(trials: pd.DataFrame) -> LatencyStats | None:
    """Latency of the trials the model answered live (all of them if the cache answered all)."""
    if trials.empty:
        return None
    live = trials[~trials["cached"]]
    measured = live if not live.empty else trials
    latency = measured["latency_ms"].tolist()
    p50, p95, p99 = percentiles(latency)
    return LatencyStats(
        p50=p50,
        p95=p95,
        p99=p99,
        mean=float(sum(latency) / len(latency)),
        n=len(latency),
        cached_excluded=len(trials) - len(measured),
    )


def _group_metrics(trials: pd.DataFrame) -> dict[str, Any]:
    n = len(trials)
    cases = trials["case_id"]
    values: dict[str, Any] = {"n": n, "cases": int(cases.nunique())}
    reasons = trials["fallback_reason"].where(~trials["fallback_reason"].isin(_NOT_FALLBACKS))
    flag_columns = {
        **{name: trials[column] for name, column in RATE_COLUMNS.items()},
        "fallback_rate": reasons.notna(),
        "model_call_rate": trials["model_calls"] > 0,
    }
    for name, flags in flag_columns.items():
        values[name], values[f"{name}_ci"] = _rate(flags, cases)
    abstained, expected = trials["abstained"], trials["expected_abstain"]
    both = abstained & expected
    precision = _rate(both[abstained], cases[abstained])
    recall = _rate(both[expected], cases[expected])
    values["abstention_precision"], values["abstention_precision_ci"] = precision
    values["abstention_recall"], values["abstention_recall_ci"] = recall
    acted = trials["outcome"] == OutcomeClass.FALSE_ACTION.value
    values["false_action_rate"], values["false_action_rate_ci"] = _rate(
        acted[expected], cases[expected]
    )
    values["latency_ms"] = _latency(trials)
    values["model_latency_ms"] = _latency(trials[trials["model_calls"] > 0])
    values["tokens_per_plan"] = float((trials["tokens_in"] + trials["tokens_out"]).mean())
    values["cost_per_plan_usd"] = float(trials["cost_usd"].mean())
    counts = trials["outcome"].value_counts()
    values["outcomes"] = {cls.value: int(counts.get(cls.value, 0)) for cls in OutcomeClass}
    reason_counts = reasons.dropna().value_counts().sort_index()
    values["fallback_reasons"] = {str(r): int(count) for r, count in reason_counts.items()}
    return values


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


def planner_metrics(trials: pd.DataFrame) -> PlannerMetrics:
    """Metrics of one planner's trials (a non-empty frame of one planner's rows).

    Raises:
        ValueError: The frame is empty.
    """
    if trials.empty:
        raise ValueError("no trials: metrics of an empty frame are undefined")
    by_category = {
        str(category): CategoryMetrics.model_validate(_group_metrics(group))
        for category, group in sorted(trials.groupby("category"), key=lambda item: str(item[0]))
    }
    values = {**_group_metrics(trials), **_repeat_metrics(trials), "by_category": by_category}
    return PlannerMetrics.model_validate(values)


def compute_metrics(frame: pd.DataFrame) -> dict[str, PlannerMetrics]:
    """Metrics of every planner in a trials frame, by planner name in sorted order.

    Perturbed variants count only in `robustness`; the other metrics are the originals'.
    """
    result: dict[str, PlannerMetrics] = {}
    for planner, trials in sorted(frame.groupby("planner"), key=lambda item: str(item[0])):
        metrics = planner_metrics(originals(trials))
        metrics.robustness = robustness_metrics(trials)
        result[str(planner)] = metrics
    return result


def _rows(path: Path, skipped: list[int]) -> Iterator[dict[str, Any]]:
    """Yield the scalar columns of each row; note a torn last line in `skipped`."""
    reader = JsonlReader(path)
    for line in reader:
        try:
            yield scalar_row(TrialResult.model_validate(line.data))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            loc = ".".join(str(part) for part in err["loc"]) or "row"
            raise RunLogError(f"{path}: line {line.number}: {loc}: {err['msg']}") from None
    if reader.torn is not None:
        skipped.append(reader.torn[0])


def read_results(path: Path) -> pd.DataFrame:
    """Read a run's `results.jsonl` into a trials frame, one row at a time.

    Each line is validated as a `TrialResult` and only its scalar columns are kept. A last
    line that is not JSON (a run killed while writing it) is skipped, and its line number
    is left in `frame.attrs["skipped_lines"]`.

    Raises:
        RunLogError: The file cannot be read, or a row other than the last is malformed.
    """
    skipped: list[int] = []
    try:
        frame = frame_from_records(_rows(path, skipped))
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None
    frame.attrs["skipped_lines"] = skipped
    return frame


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
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(part) for part in ("planners", *err["loc"]))
        raise RunLogError(f"{path}: {loc}: {err['msg']}") from None
