"""Metrics from trial rows: rates with intervals, abstention, categories, repeats, reading."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crane_bench.evals.errors import RunLogError
from crane_bench.evals.metric_registry import DEFAULT_METRICS
from crane_bench.evals.metrics import (
    SCALAR_COLUMNS,
    PlannerMetrics,
    compute_metrics,
    metric_column,
    planner_metrics,
    read_summary_metrics,
    trials_frame,
)
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_reader import read_results
from crane_bench.evals.stats import wilson_interval
from tests.evals.trial_rows import scored, trial

OC = OutcomeClass


def every_outcome() -> list[TrialResult]:
    """Eleven hybrid trials, one per outcome class plus a correct abstention."""
    spec: list[tuple[OutcomeClass, str, bool, bool | None, str | None]] = [
        (OC.CORRECT, "calculator", False, None, None),
        (OC.WRONG_TOOL, "calculator", False, None, None),
        (OC.WRONG_ARGS, "calculator", False, None, None),
        (OC.WRONG_STEP_COUNT, "todo", False, None, None),
        (OC.FALSE_ABSTAIN, "todo", False, None, None),
        (OC.FALSE_ACTION, "abstain", True, False, None),
        (OC.INVALID_PLAN, "todo", False, None, "invalid_json"),
        (OC.PLANNER_ERROR, "todo", False, None, "model_error"),
        (OC.TIMEOUT, "calculator", False, None, "timeout"),
        (OC.OUTCOME_MISMATCH, "calculator", False, None, None),
        (OC.CORRECT, "abstain", True, True, None),
    ]
    return [
        trial(
            f"c{i:02d}",
            outcome,
            planner="hybrid",
            category=category,
            expected_abstain=expected,
            abstained=abstained,
            latency_ms=float(i),
            tokens_in=10 * i,
            tokens_out=i,
            cost_usd=0.0001 * i,
            fallback_reason=reason,
        )
        for i, (outcome, category, expected, abstained, reason) in enumerate(spec, start=1)
    ]


@pytest.fixture
def hybrid() -> PlannerMetrics:
    return compute_metrics(trials_frame(every_outcome()))["hybrid"]


def test_frame_keeps_scalar_columns_and_one_per_metric() -> None:
    frame = trials_frame(every_outcome())
    columns = [*SCALAR_COLUMNS, *(metric_column(name) for name in DEFAULT_METRICS.names)]
    assert list(frame.columns) == columns
    assert len(frame) == 11
    assert frame["plan_correct"].dtype == bool
    assert frame[metric_column("plan_accuracy")].tolist() == frame["plan_correct"].tolist()
    # A trial that does not count for a metric holds NaN: only c05 and c11 abstained.
    assert frame[metric_column("abstention_precision")].notna().sum() == 2
    assert list(trials_frame([]).columns) == columns


def test_rates_and_intervals(hybrid: PlannerMetrics) -> None:
    assert (hybrid.n, hybrid.cases) == (11, 11)
    expected = {
        "tool_accuracy": 4,
        "step_accuracy": 5,
        "args_accuracy": 3,
        "plan_accuracy": 3,
        "outcome_accuracy": 2,
        "valid_plan_rate": 8,
        "fallback_rate": 3,
    }
    for name, successes in expected.items():
        assert hybrid.rate(name).value == pytest.approx(successes / 11), name
        assert hybrid.rate(name).ci == wilson_interval(successes, 11), name
        assert hybrid.rate(name).n == 11


def test_outcome_counts_latency_tokens_cost(hybrid: PlannerMetrics) -> None:
    assert hybrid.outcomes == {cls.value: 2 if cls is OC.CORRECT else 1 for cls in OutcomeClass}
    assert hybrid.fallback_reasons == {"invalid_json": 1, "model_error": 1, "timeout": 1}
    assert hybrid.latency().p50 == 6.0
    assert hybrid.latency().p95 == pytest.approx(10.5)
    assert hybrid.latency().p99 == pytest.approx(10.9)
    assert hybrid.latency().mean == 6.0
    assert hybrid.value("tokens_per_plan") == 66.0
    assert hybrid.value("cost_per_plan_usd") == pytest.approx(0.0006)
    assert hybrid.value("total_tokens") == 66.0 * 11
    assert hybrid.value("total_cost_usd") == pytest.approx(0.0066)


def test_abstention_precision_and_recall(hybrid: PlannerMetrics) -> None:
    # Abstained: c05 (should not) and c11 (should). Should abstain: c06 (acted) and c11.
    assert hybrid.value("abstention_precision") == 0.5
    assert hybrid.value("abstention_recall") == 0.5
    assert hybrid.rate("abstention_precision").ci == wilson_interval(1, 2)
    assert hybrid.rate("abstention_precision").n == 2


def test_per_category_split(hybrid: PlannerMetrics) -> None:
    assert list(hybrid.by_category) == ["abstain", "calculator", "todo"]
    calculator = hybrid.by_category["calculator"]
    tool, plan = calculator.value("tool_accuracy"), calculator.value("plan_accuracy")
    assert (calculator.n, tool, plan) == (5, 0.6, 0.4)
    assert calculator.value("valid_plan_rate") == 0.8
    assert calculator.latency().p50 == 3.0
    assert calculator.value("abstention_precision") is None  # nothing abstained
    assert calculator.value("abstention_recall") is None  # nothing should have
    assert calculator.rate("abstention_recall").ci is None
    todo = hybrid.by_category["todo"]
    precision, recall = todo.value("abstention_precision"), todo.value("abstention_recall")
    assert (todo.n, precision, recall) == (4, 0.0, None)
    abstain = hybrid.by_category["abstain"]
    precision, recall = abstain.value("abstention_precision"), abstain.value("abstention_recall")
    assert (precision, recall) == (1.0, 0.5)
    assert abstain.outcomes["false_action"] == 1


def test_no_repeats_means_no_repeat_statistics(hybrid: PlannerMetrics) -> None:
    assert hybrid.repeats == 1
    assert (hybrid.pass_at_k, hybrid.pass_hat_k, hybrid.flaky_cases) == (None, None, None)


def test_repeats_give_pass_k_and_flaky_cases() -> None:
    runs = {"r1": [True, True, True], "r2": [True, False, False], "r3": [False] * 3}
    rows = [
        row
        for repeat in range(3)
        for row in scored("llm", [runs[case][repeat] for case in runs], repeat=repeat)
    ]
    rows = [row.model_copy(update={"case_id": f"r{int(row.case_id[1:]) + 1}"}) for row in rows]
    metrics = planner_metrics(trials_frame(rows))
    assert (metrics.n, metrics.cases, metrics.repeats) == (9, 3, 3)
    assert metrics.pass_at_k == pytest.approx({1: 4 / 9, 2: 5 / 9, 3: 2 / 3})
    assert metrics.pass_hat_k == pytest.approx({1: 4 / 9, 2: 1 / 3, 3: 1 / 3})
    assert metrics.flaky_cases == ["r2"]


def test_a_case_short_of_k_trials_is_left_out_for_that_k() -> None:
    rows = [*scored("llm", [True, False], repeat=0), *scored("llm", [True], repeat=1)]
    metrics = planner_metrics(trials_frame(rows))  # c0: 2 right of 2; c1: 0 of 1
    assert metrics.pass_at_k == {1: 0.5, 2: 1.0}
    assert metrics.flaky_cases == []


def test_planners_are_separate_and_sorted() -> None:
    frame = trials_frame([*scored("pattern", [True, True]), *every_outcome()])
    metrics = compute_metrics(frame)
    assert list(metrics) == ["hybrid", "pattern"]
    assert metrics["pattern"].value("plan_accuracy") == 1.0
    assert compute_metrics(trials_frame([])) == {}
    with pytest.raises(ValueError, match="empty"):
        planner_metrics(trials_frame([]))


def test_summary_json_keys_and_round_trip(hybrid: PlannerMetrics, tmp_path: Path) -> None:
    dumped = hybrid.model_dump(mode="json")
    assert {"n", "cases", "metrics", "by_category", "outcomes"} <= set(dumped)
    figures = dumped["metrics"]
    assert list(figures) == list(DEFAULT_METRICS.names)  # every metric, in registry order
    for key in ("plan_accuracy", "outcome_accuracy", "valid_plan_rate", "fallback_rate"):
        assert set(figures[key]) == {"kind", "value", "ci", "n"}
    latency = {"kind", "p50", "p95", "p99", "mean", "n", "cached_excluded"}
    assert set(figures["latency_ms"]) == latency
    assert figures["tokens_per_plan"]["kind"] == "mean"
    assert figures["tool_accuracy"]["ci"] == list(wilson_interval(4, 11))
    text = json.dumps({"version": 2, "planners": {"hybrid": dumped}}, allow_nan=False)
    summary = tmp_path / "summary.json"
    summary.write_text(text)
    assert read_summary_metrics(summary) == {"hybrid": hybrid}


def test_summary_errors_name_the_file(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text('{"spec": {}}')
    with pytest.raises(RunLogError, match="no 'planners'"):
        read_summary_metrics(summary)
    summary.write_text('{"planners": {"x": {"n": 1}}}')
    with pytest.raises(RunLogError, match=r"summary.json: planners\.x\."):
        read_summary_metrics(summary)


def write_rows(path: Path, rows: list[TrialResult], tail: str = "") -> None:
    path.write_text("".join(row.model_dump_json() + "\n" for row in rows) + tail)


def test_read_results_matches_the_rows(tmp_path: Path) -> None:
    rows = every_outcome()
    results = tmp_path / "results.jsonl"
    write_rows(results, rows)
    frame = read_results(results)
    pd.testing.assert_frame_equal(frame, trials_frame(rows))
    assert frame.attrs["skipped_lines"] == []


def test_read_results_skips_a_truncated_last_line(tmp_path: Path) -> None:
    rows = every_outcome()
    results = tmp_path / "results.jsonl"
    write_rows(results, rows, tail=rows[0].model_dump_json()[:40])
    frame = read_results(results)
    assert len(frame) == 11
    assert frame.attrs["skipped_lines"] == [12]


def test_read_results_rejects_a_broken_middle_line(tmp_path: Path) -> None:
    rows = every_outcome()
    results = tmp_path / "results.jsonl"
    results.write_text(rows[0].model_dump_json() + "\n{broken\n" + rows[1].model_dump_json())
    with pytest.raises(RunLogError, match="line 2: not JSON"):
        read_results(results)


def test_read_results_rejects_a_row_of_another_format(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"case_id": "x", "planner": "p"}) + "\n")
    with pytest.raises(RunLogError, match=r"results.jsonl: line 1: category"):
        read_results(results)
    with pytest.raises(RunLogError, match="cannot read"):
        read_results(tmp_path / "missing.jsonl")


def test_rules_answering_alone_is_no_fallback_and_model_calls_are_counted() -> None:
    rows = [
        trial("a", planner="hybrid", model_calls=0),  # the rules answered
        trial("b", planner="hybrid", model_calls=0, fallback_reason="pattern_confident"),  # old
        trial("c", planner="hybrid", model_calls=2),  # asked, answer used
        trial("d", planner="hybrid", model_calls=1, fallback_reason="timeout"),  # asked, failed
    ]
    metrics = compute_metrics(trials_frame(rows))["hybrid"]
    assert metrics.value("model_call_rate") == 0.5
    assert metrics.value("fallback_rate") == 0.25
    assert metrics.fallback_reasons == {"timeout": 1}
    ci = metrics.rate("model_call_rate").ci
    assert ci is not None
    lo, hi = ci
    assert lo < 0.5 < hi


def test_latency_leaves_out_cached_trials_and_splits_out_model_trials() -> None:
    rows = [
        trial("a", planner="llm", latency_ms=800, model_calls=1),
        trial("b", planner="llm", latency_ms=1000, model_calls=1),
        trial("c", planner="llm", latency_ms=0.5, model_calls=1, cached=True),
        trial("d", planner="llm", latency_ms=0.1, model_calls=0),
    ]
    metrics = compute_metrics(trials_frame(rows))["llm"]
    assert (metrics.latency().n, metrics.latency().cached_excluded) == (3, 1)
    assert metrics.latency().p50 == 800
    model = metrics.latency("model_latency_ms")
    assert (model.n, model.p50, model.cached_excluded) == (2, 900, 1)


def test_a_fully_cached_run_still_reports_latency_and_says_so() -> None:
    rows = [trial(c, planner="llm", latency_ms=0.4, cached=True) for c in "abc"]
    metrics = compute_metrics(trials_frame(rows))["llm"]
    latency = metrics.latency()
    assert (latency.n, latency.cached_excluded) == (3, 0)
    # No trial asked the model: its latency is undefined, not zero.
    assert metrics.latency("model_latency_ms").p50 is None


def test_repeated_trials_are_clustered_by_case() -> None:
    rows = [
        trial(
            case, repeat=r, outcome=OutcomeClass.CORRECT if case < "m" else OutcomeClass.WRONG_TOOL
        )
        for case in "abcdefghijklmnopqrstuvwxyz"
        for r in range(10)
    ]
    metrics = compute_metrics(trials_frame(rows))["pattern"]
    one_run = compute_metrics(trials_frame([row for row in rows if row.repeat == 0]))["pattern"]
    assert metrics.n == 260
    assert metrics.value("plan_accuracy") == one_run.value("plan_accuracy")
    both = metrics.rate("plan_accuracy").ci, one_run.rate("plan_accuracy").ci
    assert both[0] == pytest.approx(both[1], abs=0.01)


def test_read_results_rejects_a_row_of_another_version(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    row = json.loads(every_outcome()[0].model_dump_json())
    assert row["version"] == 1
    results.write_text(json.dumps({**row, "version": 2}) + "\n")
    with pytest.raises(RunLogError, match="line 1: version"):
        read_results(results)
