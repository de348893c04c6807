"""Quality SLO gates of the `gold` scenario: accuracy under load, in the eval's gate language.

They read the `quality:` section of `slo.yaml` and give, per planner label:

- `<metric>_vs_unloaded[<label>]`: fails when the metric (`plan_accuracy`,
  `end_to_end_accuracy`) is significantly lower under load than without it (the
  comparison's own test, at `alpha`); skipped without an unloaded reference. This is a
  paired test against another run, like the eval's regression gate, not a threshold.
- `checks:`, a list of checks in the eval's gate language (`evals/gates.yaml`, parsed
  by `evals.gate_config` (`parse_checks`) and evaluated by `evals.gates`): `planner` (a
  label, or `*` for every planner of the run), a metric of the registry (`evals.metric_registry`:
  `plan_accuracy`, `outcome_accuracy`, `model_call_rate`, `fallback_rate`,
  `timeout_fallback_rate`, `latency_ms.p95`, ...), `op`, `threshold` (a number or
  another planner's metric), and optionally `use` and `category`. They are evaluated on
  the eval's metrics of the scored runs (`load.quality.quality_metrics`).

The checks are parsed when the file is loaded (`load.slo.load_slo`), not when this module
is imported: importing the eval package brings pandas and scipy, and a locust worker of
another scenario that starts slowly joins after the run's clock has begun.

The section's old form (`max:`, `min:`, `planners:` with rate names of its own) is
refused with one line that gives the same limits as `checks:` (`old_form_checks`): a
translated file would name its checks differently in every report and CI output, and a
warning in the locust process would go unseen in `locust.log`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crane_bench.load.checks import gate_check
from crane_bench.load.quality_models import (
    ACCURACY_METRICS,
    AccuracyMetric,
    PlannerQuality,
    QualityReport,
)
from crane_bench.plumbing.gates import GateCheck, GateStatus

if TYPE_CHECKING:
    from crane_bench.evals.gate_config import CheckSpec
    from crane_bench.evals.metrics import PlannerMetrics

ALL_PLANNERS: Final = "*"
"""Every planner of the run (`evals.gate_config.ALL_PLANNERS`)."""
OLD_KEYS: Final = frozenset({"max", "min", "planners"})
"""The keys of the quality section's old form."""
OLD_RATES: Final = {"end_to_end_accuracy": "outcome_accuracy"}
"""Old rate names that are another name in the metric registry."""
_OLD_OPS: Final = {"max": "<=", "min": ">="}


def _old_metric(rate: str) -> str:
    """`fallback_rate.timeout` -> `timeout_fallback_rate`; `end_to_end_accuracy` renamed."""
    if rate.startswith("fallback_rate."):
        return f"{rate.removeprefix('fallback_rate.')}_fallback_rate"
    return OLD_RATES.get(rate, rate)


def old_form_checks(section: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The old form's `max:`/`min:` limits (common and per planner) as gate-language checks.

    A common limit becomes a `*` check; a planner's own becomes a check on that label.
    Both apply to the planner (the old form let a planner's limit replace the common one).
    """
    found: list[dict[str, Any]] = []
    scopes: list[tuple[str, Any]] = [(ALL_PLANNERS, section)]
    planners = section.get("planners")
    if isinstance(planners, Mapping):
        scopes += [(str(label), limits) for label, limits in planners.items()]
    for planner, limits in scopes:
        if not isinstance(limits, Mapping):
            continue
        for key, op in _OLD_OPS.items():
            rates = limits.get(key)
            for rate, limit in (rates or {}).items() if isinstance(rates, Mapping) else ():
                found.append(
                    {
                        "planner": planner,
                        "metric": _old_metric(str(rate)),
                        "op": op,
                        "threshold": limit,
                    }
                )
    return found


def old_form_message(section: Mapping[str, Any]) -> str:
    """One line: the old form is refused, and what to write instead."""
    checks = old_form_checks(section)
    written = yaml.safe_dump(
        checks, default_flow_style=True, sort_keys=False, width=math.inf
    ).strip()
    return (
        f"{'/'.join(sorted(OLD_KEYS & set(section)))} is the old form of the quality gates; "
        f"write them as checks in the eval's gate language: checks: {written} "
        "(docs/load.md, Quality gates)"
    )


class QualitySlo(BaseModel):
    """The `quality:` section of `slo.yaml`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    alpha: float = Field(0.05, gt=0, lt=1)
    """Significance level of the comparison with the unloaded accuracy."""
    not_below_unloaded: list[AccuracyMetric] = Field(default_factory=lambda: list(ACCURACY_METRICS))
    """Metrics that must not be significantly lower under load than without."""
    checks: list[dict[str, Any]] = Field(default_factory=list)
    """Checks in the eval's gate language (`evals/gates.yaml`) on the scored runs; parsed
    by `parse_checks` (`load_slo` does it when it reads the file)."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_old_form(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and OLD_KEYS & set(data):
            raise ValueError(old_form_message(data))
        return data


def parse_checks(checks: list[dict[str, Any]]) -> list[CheckSpec]:
    """Parse checks with the eval's gate parser (`evals.gate_config`), against its registry.

    Raises:
        pydantic.ValidationError: A check does not fit the gate language; its location is
            `checks.<index>.<field>`.
    """
    from crane_bench.evals.gate_config import GatesConfig  # noqa: PLC0415 - see above

    return GatesConfig.model_validate({"checks": checks}).checks


def _against_unloaded(label: str, planner: PlannerQuality, metric: AccuracyMetric) -> GateCheck:
    name = f"{metric}_vs_unloaded[{label}]"
    found = next((c for c in planner.comparisons if c.metric == metric), None)
    if found is None:
        return gate_check(name, "skip", "no unloaded accuracy to compare with")
    status: GateStatus = "fail" if found.direction == "lower" else "pass"
    return gate_check(name, status, found.verdict, found.p_value, found.alpha)


def evaluate_quality(
    report: QualityReport | None,
    slo: QualitySlo,
    metrics: Mapping[str, PlannerMetrics] | None = None,
) -> list[GateCheck]:
    """The quality checks of a run; none without a quality report.

    Args:
        report: The quality figures of a `gold` run (`load.quality.quality_report`).
        slo: The `quality:` section.
        metrics: The eval's metrics of the same scored runs, by planner label
            (`load.quality.quality_metrics`), which `slo.checks` are evaluated on.
    """
    if report is None:
        return []
    checks: list[GateCheck] = []
    for label, planner in report.planners.items():
        checks += [_against_unloaded(label, planner, m) for m in slo.not_below_unloaded]
    if slo.checks:
        # The eval's evaluator (and pandas) only when a gold run has checks to evaluate.
        from crane_bench.evals.gates import GatesConfig, evaluate_gates  # noqa: PLC0415

        config = GatesConfig(checks=parse_checks(slo.checks))
        checks += evaluate_gates(dict(metrics or {}), config).checks
    return checks
