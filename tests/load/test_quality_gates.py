"""The load quality gates in the eval's gate language: same verdicts as the old form, one parser.

The old evaluator (`max:`/`min:`/`planners:` ceilings and floors on `QualityStats`) is
kept below as it was on main, so the new checks are compared with it on the same scored
runs, check by check: status, value and limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from crane_bench.load import DEFAULT_SLO, LoadConfigError, load_slo
from crane_bench.load.checks import ceiling, floor, gate_check
from crane_bench.load.quality import QualityRow, quality_metrics, quality_report
from crane_bench.load.quality_gates import (
    QualitySlo,
    evaluate_quality,
    old_form_checks,
)
from crane_bench.load.quality_models import QualityReport, QualityStats
from crane_bench.plumbing.gates import GateCheck
from tests.load.gold_rows import trial

OLD_SHIPPED = """
quality:
  alpha: 0.05
  not_below_unloaded: [plan_accuracy, end_to_end_accuracy]
  max:
    fallback_rate.timeout: 0.05
  min: {}
  planners: {}
"""
"""The quality section of load/slo.yaml before the gate language (main, 2026-12-08)."""

OLD_EVERY_RATE = {
    "max": {
        "fallback_rate.timeout": 0.05,
        "fallback_rate.invalid_json": 0.0,
        "fallback_rate": 0.25,
        "model_call_rate": 0.5,
    },
    "min": {"plan_accuracy": 0.75, "end_to_end_accuracy": 0.5},
    "planners": {
        "hybrid": {"min": {"model_call_rate": 0.1}},
        "absent": {"max": {"fallback_rate": 0.0}},
    },
}
"""Every kind of old limit, each one of them near the values of the runs below."""


def _old_rate(stats: QualityStats, name: str) -> float | None:
    """`QualityStats.rate` as it was: a field, or `fallback_rate.<reason>` counted by hand."""
    if name.startswith("fallback_rate."):
        reason = name.removeprefix("fallback_rate.")
        return stats.fallback_reasons.get(reason, 0) / stats.n if stats.n else None
    value = getattr(stats, name)
    return None if value is None else float(value)


def _old_checks(
    report: QualityReport, section: dict[str, Any]
) -> dict[tuple[str, str, str], GateCheck]:
    """The old evaluator's limit checks, by (planner, rate, op)."""
    common_max, common_min = section.get("max") or {}, section.get("min") or {}
    planners = section.get("planners") or {}
    found: dict[tuple[str, str, str], GateCheck] = {}
    for label, planner in report.planners.items():
        own = planners.get(label, {})
        for rate, limit in {**common_max, **own.get("max", {})}.items():
            check = ceiling(f"{rate}[{label}]", _old_rate(planner, rate), limit, missing="x")
            found[label, rate, "<="] = check
        for rate, limit in {**common_min, **own.get("min", {})}.items():
            check = floor(f"{rate}[{label}]", _old_rate(planner, rate), limit, missing="x")
            found[label, rate, ">="] = check
    for label in sorted(set(planners) - set(report.planners)):
        found[label, "*", "*"] = gate_check(f"quality[{label}]", "skip", "no scored run")
    return found


def _row(case_id: str, right: bool, planner: str, **values: Any) -> QualityRow:
    return QualityRow(
        **trial(case_id, right, planner=planner, **values).model_dump(),
        t=0.0,
        step=0,
        users=1,
        run_ms=10.0,
    )


def _runs() -> list[list[QualityRow]]:
    """Scored runs whose rates sit on, below and above the limits of `OLD_EVERY_RATE`."""
    hybrid = [
        _row("a", True, "hybrid", model_calls=1),
        _row("b", True, "hybrid", model_calls=1, fallback_reason="timeout"),
        _row("c", False, "hybrid", model_calls=0),
        _row("d", True, "hybrid", model_calls=2, fallback_reason="invalid_json"),
        _row("a", True, "hybrid", model_calls=0, fallback_reason="pattern_confident"),
    ]
    pattern = [_row(f"p{i}", i % 4 != 0, "pattern", model_calls=0) for i in range(8)]
    slow = [
        _row(f"s{i}", i < 19, "hybrid", model_calls=1, fallback_reason="timeout" if i < 1 else None)
        for i in range(20)
    ]
    wrong_outcome = [
        _row(f"w{i}", True, "llm", model_calls=1, end_to_end_correct=i < 2) for i in range(4)
    ]
    return [hybrid, pattern, hybrid + pattern, slow, slow + wrong_outcome]


@pytest.mark.parametrize("old", [yaml.safe_load(OLD_SHIPPED)["quality"], OLD_EVERY_RATE])
@pytest.mark.parametrize("run", range(5))
def test_the_gate_language_gives_the_old_verdicts_on_the_same_runs(
    old: dict[str, Any], run: int
) -> None:
    rows = _runs()[run]
    report = quality_report(rows, [])
    before = _old_checks(report, old)
    slo = QualitySlo(not_below_unloaded=[], checks=old_form_checks(old))
    after = {c.name: c for c in evaluate_quality(report, slo, quality_metrics(rows))}
    assert before, "nothing compared"
    for (label, rate, op), was in before.items():
        if rate == "*":  # a planner not in the run: skipped both times
            now = [c for c in after.values() if c.name.startswith(f"{label} ")]
            assert now, label
            assert all(c.skipped for c in now), now
            continue
        metric = old_form_checks({"max": {rate: 0}})[0]["metric"]
        now = after[f"{label} {metric} {op} {was.limit:g}"]
        assert (now.status, now.value, now.limit) == (was.status, was.value, was.limit), (
            was.message,
            now.message,
        )
    ran = [check for check in after.values() if not check.skipped]
    assert len(ran) == len([key for key in before if key[1] != "*"])


def test_the_shipped_slo_file_holds_the_same_limit_in_the_gate_language() -> None:
    slo = load_slo(DEFAULT_SLO)
    assert slo.quality.checks == old_form_checks(yaml.safe_load(OLD_SHIPPED)["quality"])
    assert slo.quality.checks == [
        {"planner": "*", "metric": "timeout_fallback_rate", "op": "<=", "threshold": 0.05}
    ]
    assert slo.quality.not_below_unloaded == ["plan_accuracy", "end_to_end_accuracy"]
    assert slo.quality.alpha == 0.05


def test_an_old_style_quality_section_is_one_line_naming_the_new_form(tmp_path: Path) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(
        OLD_SHIPPED.replace("planners: {}", "planners: {hybrid: {min: {plan_accuracy: 0.8}}}")
    )
    with pytest.raises(LoadConfigError) as caught:
        load_slo(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"SLO file {path}: quality: max/min/planners is the old form")
    written = message.partition("checks: ")[2].partition(" (docs/load.md")[0]
    assert yaml.safe_load(written) == [
        {"planner": "*", "metric": "timeout_fallback_rate", "op": "<=", "threshold": 0.05},
        {"planner": "hybrid", "metric": "plan_accuracy", "op": ">=", "threshold": 0.8},
    ]


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            {"planner": "*", "metric": "fallback_rate.timeout", "op": "<=", "threshold": 0.05},
            "quality.checks.0.metric: unknown metric 'fallback_rate.timeout'",
        ),
        (
            {"planner": "*", "metric": "plan_accuracy", "op": "=>", "threshold": 0.5},
            "quality.checks.0.op: ",
        ),
        (
            {
                "planner": "*",
                "metric": "latency_ms.p95",
                "op": "<=",
                "threshold": 5,
                "use": "lower_bound",
            },
            "needs a rate with a 95% CI",
        ),
    ],
)
def test_a_bad_quality_check_is_one_line_from_the_evals_gate_parser(
    tmp_path: Path, check: dict[str, Any], message: str
) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump({"quality": {"checks": [check]}}))
    with pytest.raises(LoadConfigError, match=r"^SLO file ") as caught:
        load_slo(path)
    assert "\n" not in str(caught.value)
    assert message in str(caught.value)


def test_quality_checks_read_categories_references_and_bounds_as_an_eval_does() -> None:
    rows = [_row(f"p{i}", True, "pattern") for i in range(10)]
    rows += [_row(f"h{i}", i < 7, "hybrid", model_calls=1) for i in range(10)]
    rows += [_row("o1", False, "hybrid", category="out_of_domain")]
    checks = [
        {
            "planner": "hybrid",
            "metric": "plan_accuracy",
            "op": ">=",
            "threshold": {"planner": "pattern"},
        },
        {
            "planner": "hybrid",
            "metric": "plan_accuracy",
            "op": ">=",
            "threshold": 0.5,
            "use": "lower_bound",
        },
        {
            "planner": "*",
            "metric": "plan_accuracy",
            "op": ">=",
            "threshold": 0.5,
            "category": "out_of_domain",
        },
    ]
    slo = QualitySlo(not_below_unloaded=[], checks=checks)
    found = {c.name: c for c in evaluate_quality(quality_report(rows), slo, quality_metrics(rows))}
    assert found["hybrid plan_accuracy >= pattern plan_accuracy"].failed
    bound = found["hybrid plan_accuracy >= 0.5"]
    assert bound.failed  # 7/11 right, but the Wilson interval's lower end is below 0.5
    assert "lower bound of 95% CI" in bound.message
    assert found["hybrid plan_accuracy[out_of_domain] >= 0.5"].failed
    assert found["pattern plan_accuracy[out_of_domain] >= 0.5"].skipped
    assert evaluate_quality(None, slo, {}) == []


def test_importing_the_slo_gates_does_not_import_the_eval_package() -> None:
    code = (
        "import sys, json; from crane_bench.load import load_slo, DEFAULT_SLO; "
        "load_slo(DEFAULT_SLO, quality_checks=False); "
        "heavy = ('pandas', 'scipy', 'crane_bench.evals'); "
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
