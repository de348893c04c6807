"""Quality gates: the file format, threshold checks, and the regression gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crane_bench.evals.errors import GateConfigError
from crane_bench.evals.gate_config import (
    CheckSpec,
    GatesConfig,
    MetricRef,
    RegressionSpec,
    Tolerance,
)
from crane_bench.evals.gates import Baseline, evaluate_gates, load_baseline, load_gates
from crane_bench.evals.metrics import PlannerMetrics, compute_metrics, trials_frame
from crane_bench.evals.results import TrialResult
from tests.evals.trial_rows import scored

DEFAULT_GATES = Path(__file__).parents[2] / "evals" / "gates.yaml"


def run_rows() -> list[TrialResult]:
    """pattern: 9 of 10 right at 2 ms; hybrid: 8 of 10 right at 900 ms."""
    return [
        *scored("pattern", [True] * 9 + [False], latency_ms=2.0),
        *scored("hybrid", [True] * 8 + [False] * 2, latency_ms=900.0),
    ]


@pytest.fixture
def metrics() -> dict[str, PlannerMetrics]:
    return compute_metrics(trials_frame(run_rows()))


def check(**fields: object) -> GatesConfig:
    return GatesConfig.model_validate({"checks": [fields]})


# --- threshold checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "threshold", "passed"),
    [
        (">=", 0.9, True),
        (">=", 0.91, False),
        (">", 0.9, False),
        (">", 0.89, True),
        ("<=", 0.9, True),
        ("<=", 0.89, False),
        ("<", 0.9, False),
        ("<", 0.91, True),
    ],
)
def test_each_operator(
    metrics: dict[str, PlannerMetrics], op: str, threshold: float, passed: bool
) -> None:
    config = check(planner="pattern", metric="plan_accuracy", op=op, threshold=threshold)
    report = evaluate_gates(metrics, config)
    (result,) = report.checks
    assert (result.passed, report.passed, result.skipped) == (passed, passed, False)
    assert (result.value, result.limit) == (0.9, threshold)
    assert result.message.startswith("PASS" if passed else "FAIL")
    assert "\n" not in result.message


def test_lower_bound_fails_where_the_point_passes(metrics: dict[str, PlannerMetrics]) -> None:
    config = check(
        planner="pattern", metric="plan_accuracy", op=">=", threshold=0.85, use="lower_bound"
    )
    (result,) = evaluate_gates(metrics, config).checks
    assert not result.passed
    assert result.message == "FAIL pattern plan_accuracy 0.596 < 0.850 (lower bound of 95% CI)"
    assert result.name == "pattern plan_accuracy >= 0.85"


def test_upper_bound_and_latency(metrics: dict[str, PlannerMetrics]) -> None:
    config = GatesConfig(
        checks=[
            CheckSpec(
                planner="hybrid", metric="plan_accuracy", op=">=", threshold=0.9, use="upper_bound"
            ),
            CheckSpec(planner="hybrid", metric="latency_ms.p95", op="<=", threshold=50),
        ]
    )
    upper, latency = evaluate_gates(metrics, config).checks
    assert upper.passed
    assert latency.message == "FAIL hybrid latency_ms.p95 900.0 > 50.0"


def test_threshold_from_another_planner(metrics: dict[str, PlannerMetrics]) -> None:
    config = check(
        planner="hybrid", metric="tool_accuracy", op=">=", threshold={"planner": "pattern"}
    )
    (result,) = evaluate_gates(metrics, config).checks
    assert (result.passed, result.value, result.limit) == (False, 0.8, 0.9)
    assert result.message == "FAIL hybrid tool_accuracy 0.800 < 0.900 (vs pattern tool_accuracy)"
    assert result.name == "hybrid tool_accuracy >= pattern tool_accuracy"


def test_missing_planner_is_skipped_not_failed(metrics: dict[str, PlannerMetrics]) -> None:
    config = GatesConfig(
        checks=[
            CheckSpec(planner="llm", metric="tool_accuracy", op=">=", threshold=0.2),
            CheckSpec(
                planner="pattern",
                metric="tool_accuracy",
                op="<=",
                threshold=MetricRef(planner="llm"),
            ),
        ]
    )
    report = evaluate_gates(metrics, config)
    assert report.passed
    assert [c.skipped for c in report.checks] == [True, True]
    assert report.checks[0].message == "SKIP llm tool_accuracy: planner 'llm' not in this run"
    assert "reference planner 'llm' not in this run" in report.checks[1].message
    assert report.failures == []


def test_star_covers_every_planner_and_categories(metrics: dict[str, PlannerMetrics]) -> None:
    config = GatesConfig(
        checks=[
            CheckSpec(planner="*", metric="valid_plan_rate", op=">=", threshold=0.95),
            CheckSpec(
                planner="pattern",
                metric="plan_accuracy",
                op=">=",
                threshold=0.95,
                category="calculator",
            ),
            CheckSpec(
                planner="pattern", metric="plan_accuracy", op=">=", threshold=0.5, category="todo"
            ),
        ]
    )
    report = evaluate_gates(metrics, config)
    star_hybrid, star_pattern, calculator, todo = report.checks
    assert star_hybrid.message.startswith("PASS hybrid valid_plan_rate")
    assert star_pattern.message.startswith("PASS pattern valid_plan_rate")
    assert calculator.message == "FAIL pattern plan_accuracy[calculator] 0.900 < 0.950"
    assert todo.skipped
    assert "no 'todo' cases" in todo.message
    assert not report.passed
    assert report.failures == [calculator]


def test_undefined_metric_is_skipped(metrics: dict[str, PlannerMetrics]) -> None:
    config = check(planner="pattern", metric="abstention_precision", op=">=", threshold=0.9)
    (result,) = evaluate_gates(metrics, config).checks
    assert result.skipped
    assert result.message == "SKIP pattern abstention_precision: undefined in this run"


# --- the gates file ----------------------------------------------------------------------


def test_default_gates_file_loads_and_runs(metrics: dict[str, PlannerMetrics]) -> None:
    config = load_gates(DEFAULT_GATES)
    assert {c.planner for c in config.checks} == {"pattern", "hybrid", "llm"}
    assert "plan_accuracy" in config.regression.tolerances
    report = evaluate_gates(metrics, config)
    assert all(c.skipped for c in report.checks if c.name.startswith("llm"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "checks:\n  - {planner: p, metric: plan_accuracy, op: '=>', threshold: 1}\n",
            "checks.0.op:",
        ),
        (
            "checks:\n  - {planner: p, metric: plan_acc, op: '>=', threshold: 1}\n",
            "checks.0.metric: unknown metric 'plan_acc'",
        ),
        (
            "checks:\n  - {planner: p, metric: n, op: '>=', threshold: 1, use: lower_bound}\n",
            "needs a rate with a 95% CI",
        ),
        (
            "checks:\n  - {planner: p, metric: n, op: '>=', treshold: 1}\n",
            "checks.0.treshold: Extra inputs",
        ),
        (
            "regression:\n  tolerances:\n    plan_accuracy: {better: higher}\n",
            "give absolute, relative or both",
        ),
        ("regression:\n  alpha: 2\n", "regression.alpha:"),
        (
            "checks:\n  - {planner: p, metric: n, op: '>=', threshold: {planner: '*'}}\n",
            "checks.0.threshold.reference: a reference names one planner, not '*'",
        ),
        (
            "checks:\n  - {planner: p, metric: n, op: '>=', threshold: high}\n",
            "checks.0.threshold.number: Input should be a valid number",
        ),
        ("checks: [\n", "YAML error"),
        ("", "got an empty file"),
        ("- 1\n", "expected a mapping"),
    ],
)
def test_malformed_gates_file_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    with pytest.raises(GateConfigError) as info:
        load_gates(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_gates_file(tmp_path: Path) -> None:
    with pytest.raises(GateConfigError, match="cannot read"):
        load_gates(tmp_path / "nope.yaml")


# --- regression against a baseline -------------------------------------------------------

REGRESSION = RegressionSpec(
    tolerances={
        "plan_accuracy": Tolerance(better="higher", absolute=0.02),
        "latency_ms.p95": Tolerance(better="lower", relative=0.5, absolute=5),
    }
)


def test_regression_gate_fails_a_worse_planner_and_reports_an_improvement() -> None:
    before = [
        *scored("pattern", [True] * 12, latency_ms=2.0),
        *scored("hybrid", [True] * 2 + [False] * 10, latency_ms=900.0),
    ]
    after = [
        *scored("pattern", [True] * 2 + [False] * 10, latency_ms=2.5),
        *scored("hybrid", [True] * 12, latency_ms=300.0),
    ]
    base_frame, frame = trials_frame(before), trials_frame(after)
    baseline = Baseline(metrics=compute_metrics(base_frame), frame=base_frame)
    config = GatesConfig(regression=REGRESSION)
    report = evaluate_gates(compute_metrics(frame), config, baseline, frame=frame)
    messages = {c.name: c.message for c in report.checks}
    assert not report.passed
    assert messages["regression pattern plan_correct (paired)"] == (
        "FAIL pattern plan_correct vs baseline: significantly worse, 10 regressions, 0 fixes "
        "on 12 paired cases (exact McNemar p=0.0020 < 0.05)"
    )
    assert messages["regression pattern plan_accuracy"].startswith(
        "FAIL pattern plan_accuracy 0.167 vs baseline 1.000: worse by 0.833"
    )
    assert messages["regression pattern latency_ms.p95"].startswith("PASS")  # within 5 ms
    assert messages["regression hybrid plan_correct (paired)"].startswith(
        "IMPROVED hybrid plan_correct vs baseline: significantly better, 0 regressions, 10 fixes"
    )
    assert messages["regression hybrid latency_ms.p95"].startswith("IMPROVED")
    improved = {c.name for c in report.improvements}
    assert "regression hybrid plan_accuracy" in improved
    assert all(c.passed for c in report.improvements)
    failed = {c.name for c in report.failures}
    assert failed == {
        "regression pattern plan_accuracy",
        "regression pattern plan_correct (paired)",
    }


def test_regression_small_changes_pass_and_missing_data_is_skipped() -> None:
    before = trials_frame(scored("pattern", [True] * 9 + [False]))
    after_rows = [*scored("pattern", [True] * 8 + [False, True]), *scored("llm", [True])]
    after = trials_frame(after_rows)
    baseline = Baseline(metrics=compute_metrics(before))  # no frame: no paired test
    report = evaluate_gates(compute_metrics(after), GatesConfig(regression=REGRESSION), baseline)
    assert report.passed
    by_name = {c.name: c for c in report.checks}
    assert by_name["regression pattern plan_accuracy"].message.startswith("PASS")
    assert by_name["regression pattern plan_correct (paired)"].skipped
    assert by_name["regression llm"].message == "SKIP llm: not in the baseline"


def test_load_baseline_reads_a_run_dir(tmp_path: Path) -> None:
    rows = scored("pattern", [True, False])
    frame = trials_frame(rows)
    planners = {name: m.model_dump(mode="json") for name, m in compute_metrics(frame).items()}
    (tmp_path / "summary.json").write_text(json.dumps({"planners": planners}))
    (tmp_path / "results.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows))
    baseline = load_baseline(tmp_path)
    assert baseline.metrics == compute_metrics(frame)
    assert baseline.frame is not None
    assert len(baseline.frame) == 2
