"""Quality SLO gates of the `gold` scenario: accuracy under load, model calls, fallbacks.

They read the `quality:` section of `slo.yaml` and the run's `QualityReport`, and give
one check per planner label:

- `<metric>_vs_unloaded[<label>]`: fails when the metric (`plan_accuracy`,
  `end_to_end_accuracy`) is significantly lower under load than without it (the
  comparison's own test, at `alpha`); skipped without an unloaded reference.
- `<rate>[<label>]` for each ceiling (`max`) and floor (`min`): `plan_accuracy`,
  `end_to_end_accuracy`, `model_call_rate`, `fallback_rate`, or `fallback_rate.<reason>`
  (a share of all scored runs, e.g. `fallback_rate.timeout`).

`planners:` gives a label limits of its own, on top of the common ones (a floor on the
model-call rate fits the hybrid, not the rules). A scenario other than `gold` scores no
run and gets none of these checks.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crane_bench.load.checks import ceiling, floor, gate_check
from crane_bench.load.quality_models import (
    ACCURACY_METRICS,
    AccuracyMetric,
    PlannerQuality,
    QualityReport,
)
from crane_bench.plumbing.gates import GateCheck, GateStatus
from crane_bench.runtime.models import FallbackReason

RATES: Final = (
    "plan_accuracy",
    "end_to_end_accuracy",
    "model_call_rate",
    "fallback_rate",
    *(f"fallback_rate.{reason.value}" for reason in FallbackReason),
)


def _known_rates(limits: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(limits) - set(RATES))
    if unknown:
        raise ValueError(f"unknown rate {unknown[0]!r}; known: {', '.join(RATES)}")
    return limits


class QualityLimits(BaseModel):
    """Ceilings and floors on rates of the scored runs (each a share in [0, 1])."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    max: dict[str, float] = Field(default_factory=dict)
    """Rate -> the most it may be under load."""
    min: dict[str, float] = Field(default_factory=dict)
    """Rate -> the least it may be under load."""

    _rates = field_validator("max", "min")(_known_rates)


class QualitySlo(QualityLimits):
    """The `quality:` section of `slo.yaml`."""

    alpha: float = Field(0.05, gt=0, lt=1)
    """Significance level of the comparison with the unloaded accuracy."""
    not_below_unloaded: list[AccuracyMetric] = Field(default_factory=lambda: list(ACCURACY_METRICS))
    """Metrics that must not be significantly lower under load than without."""
    planners: dict[str, QualityLimits] = Field(default_factory=dict)
    """Label -> limits of its own, added to (and overriding) the common ones."""


def _against_unloaded(label: str, planner: PlannerQuality, metric: AccuracyMetric) -> GateCheck:
    name = f"{metric}_vs_unloaded[{label}]"
    found = next((c for c in planner.comparisons if c.metric == metric), None)
    if found is None:
        return gate_check(name, "skip", "no unloaded accuracy to compare with")
    status: GateStatus = "fail" if found.direction == "lower" else "pass"
    return gate_check(name, status, found.verdict, found.p_value, found.alpha)


def evaluate_quality(report: QualityReport | None, slo: QualitySlo) -> list[GateCheck]:
    """The quality checks of a run, planner by planner; none without a quality report."""
    if report is None:
        return []
    checks: list[GateCheck] = []
    for label, planner in report.planners.items():
        checks += [_against_unloaded(label, planner, m) for m in slo.not_below_unloaded]
        own = slo.planners.get(label, QualityLimits())
        missing = "no scored run"
        for rate, limit in {**slo.max, **own.max}.items():
            checks.append(ceiling(f"{rate}[{label}]", planner.rate(rate), limit, missing=missing))
        for rate, limit in {**slo.min, **own.min}.items():
            checks.append(floor(f"{rate}[{label}]", planner.rate(rate), limit, missing=missing))
    unknown = sorted(set(slo.planners) - set(report.planners))
    checks += [
        gate_check(f"quality[{label}]", "skip", "no scored run of this planner")
        for label in unknown
    ]
    return checks
