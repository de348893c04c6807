"""What each gate on a rate could resolve, as the summary records it."""

from __future__ import annotations

import pytest

from crane_bench.evals.gate_config import GatesConfig
from crane_bench.evals.gate_power import gate_power
from crane_bench.evals.gates import check_targets, evaluate_gates
from crane_bench.evals.metrics import compute_metrics, trials_frame
from crane_bench.evals.power import paired_gate_resolution, rate_gate_resolution
from tests.evals.trial_rows import scored

CASES = 100
PATTERN = [i % 10 != 0 for i in range(CASES)]  # 90 right
HYBRID = [i % 10 != 0 or i % 20 == 0 for i in range(CASES)]  # 95 right: 5 more


def _config() -> GatesConfig:
    return GatesConfig.model_validate(
        {
            "checks": [
                {"planner": "pattern", "metric": "plan_accuracy", "op": ">=", "threshold": 0.8},
                {
                    "planner": "*",
                    "metric": "plan_accuracy",
                    "op": ">=",
                    "threshold": 0.5,
                    "use": "lower_bound",
                },
                {
                    "planner": "hybrid",
                    "metric": "plan_accuracy",
                    "op": ">=",
                    "threshold": {"planner": "pattern"},
                },
                {"planner": "pattern", "metric": "latency_ms.p95", "op": "<=", "threshold": 50},
                {"planner": "llm", "metric": "plan_accuracy", "op": ">=", "threshold": 0.5},
            ]
        }
    )


def test_every_rate_gate_that_ran_says_what_it_could_resolve() -> None:
    frame = trials_frame([*scored("pattern", PATTERN), *scored("hybrid", HYBRID)])
    metrics = compute_metrics(frame)
    config = _config()
    report = evaluate_gates(metrics, config, frame=frame)
    found = {
        p.check: p
        for p in gate_power(check_targets(config, metrics), report.checks, metrics, frame)
    }
    names = [c.name for c in report.checks]
    # The pattern floor, both planners' lower bounds, and the paired check; not the
    # latency check, nor the skipped llm one.
    assert sorted(found) == [0, 1, 2, 3]
    assert "latency" in names[4]
    assert "llm" in names[5]

    floor = found[0]
    assert floor.kind == "threshold"
    assert floor.cases == CASES
    assert floor.resolution == pytest.approx(rate_gate_resolution(CASES, 0.8, ">="))
    assert floor.text.startswith("resolves rates ")
    assert floor.text.endswith(f"from 0.8 on {CASES} cases (80% power)")

    lower = found[1]  # `*` expands in sorted order: hybrid, then pattern
    assert lower.resolution == pytest.approx(rate_gate_resolution(CASES, 0.5, ">=", "lower_bound"))
    assert lower.text.startswith("passes 80% of the time once the rate is ")

    paired = found[3]
    assert paired.kind == "paired"
    assert paired.cases == CASES
    assert paired.discordance == pytest.approx(5 / CASES)
    assert paired.resolution == pytest.approx(paired_gate_resolution(CASES, 0.05, ">="))
    assert "5 discordant" in paired.text


def test_planners_that_never_disagree_leave_the_paired_figure_undefined() -> None:
    frame = trials_frame([*scored("pattern", PATTERN), *scored("hybrid", PATTERN)])
    metrics = compute_metrics(frame)
    config = _config()
    report = evaluate_gates(metrics, config, frame=frame)
    found = gate_power(check_targets(config, metrics), report.checks, metrics, frame)
    paired = next(p for p in found if p.kind == "paired")
    assert paired.resolution is None
    assert "cannot be estimated" in paired.text
