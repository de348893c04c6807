"""SLO gates: thresholds from `slo.yaml`, and regressions against a baseline run.

Gates are pure functions of the measured stats, so the locust process (its `quitting`
listener sets the exit code from them) and the tests evaluate them the same way. A
check whose request type did not occur in the run is skipped, not passed silently:
the health scenario submits no runs, so it has no `RUN` p95 to hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crane_bench.load.checks import ceiling, floor, gate_check
from crane_bench.load.errors import LoadConfigError
from crane_bench.load.quality_gates import QualitySlo, evaluate_quality, parse_checks
from crane_bench.load.quality_models import QualityReport
from crane_bench.load.stats import HTTP, RUN, RateReport, RequestStats
from crane_bench.plumbing.gates import GateCheck, GateReport
from crane_bench.plumbing.validation import first_problem

if TYPE_CHECKING:
    from crane_bench.evals.metrics import PlannerMetrics

__all__ = ["BaselineTolerance", "SloConfig", "evaluate", "gate_check", "load_slo"]


class BaselineTolerance(BaseModel):
    """How much worse than the baseline a run may be."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    max_p95_increase: float = Field(0.25, ge=0)
    """p95 may grow by this share of the baseline's p95..."""
    p95_slack_ms: float = Field(5.0, ge=0)
    """...plus this many milliseconds (1 ms -> 2 ms is +100% and means nothing)."""
    max_throughput_drop: float = Field(0.10, ge=0, le=1)
    """HTTP requests/s may fall by this share of the baseline's."""
    p95_types: list[str] = Field(default_factory=lambda: [RUN, HTTP])
    """Request types (or `HTTP`) whose p95 is compared."""


class SloConfig(BaseModel):
    """The gates of a load run. Keys of the dicts are request types or `HTTP`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    min_requests: int = Field(1, ge=0)
    """At least this many HTTP requests, so an idle run cannot pass."""
    max_fail_ratio: dict[str, float] = Field(default_factory=lambda: {HTTP: 0.01, RUN: 0.01})
    """Failed / all, per request type."""
    max_p95_ms: dict[str, float] = Field(default_factory=dict)
    """p95 latency ceiling in milliseconds, per request type."""
    min_rate_ratio: float | None = Field(0.95, ge=0)
    """Achieved / expected arrival rate; checked only in an open workload (`--rate`)."""
    baseline: BaselineTolerance = Field(default_factory=BaselineTolerance)
    quality: QualitySlo = Field(default_factory=QualitySlo)
    """Accuracy under load of the `gold` scenario, in the eval's gate language
    (`load.quality_gates`)."""


def load_slo(path: Path, *, quality_checks: bool = True) -> SloConfig:
    """Read an SLO file; its quality checks are parsed by the eval's gate parser.

    Args:
        path: The file.
        quality_checks: Parse the quality checks too (which imports the eval package);
            a locust process that scored no run leaves them, since it never evaluates them.

    Raises:
        LoadConfigError: The file is missing, not YAML, or not an SLO config.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        slo = SloConfig.model_validate(data or {})
    except OSError as exc:
        raise LoadConfigError(f"SLO file {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise LoadConfigError(f"SLO file {path}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        raise LoadConfigError(f"SLO file {path}: {first_problem(exc)}") from exc
    if quality_checks and slo.quality.checks:
        try:
            parse_checks(slo.quality.checks)
        except ValidationError as exc:
            problem = first_problem(exc, within=("quality",))
            raise LoadConfigError(f"SLO file {path}: {problem}") from exc
    return slo


def evaluate(
    requests: RequestStats,
    rate: RateReport,
    slo: SloConfig,
    baseline: RequestStats | None = None,
    *,
    unfinished_runs: int = 0,
    quality: QualityReport | None = None,
    quality_metrics: Mapping[str, PlannerMetrics] | None = None,
) -> GateReport:
    """Check a run's stats against the SLO and, when given, a baseline run's stats.

    With several planners, each `RUN` limit is also held per planner (`p95_ms[RUN:<label>]`);
    with a quality report (the `gold` scenario), the quality checks are added.

    Args:
        requests: The run's request stats.
        rate: Its arrival rate.
        slo: The thresholds.
        baseline: A previous run's request stats, for the regression checks.
        unfinished_runs: Runs still in flight at the end. When no run finished at all,
            the `RUN` checks fail instead of being skipped: the runs were too slow to
            measure, which is not a pass.
        quality: The accuracy under load of a `gold` run.
        quality_metrics: The eval's metrics of its scored runs by planner label
            (`load.quality.quality_metrics`), for the `quality.checks`.
    """
    checks = [floor("min_requests", float(requests.http.requests), float(slo.min_requests))]
    for kind, limit in _per_planner(slo.max_fail_ratio, requests):
        group = requests.group(kind)
        actual = group.fail_ratio if group is not None and group.requests else None
        checks.append(ceiling(f"fail_ratio[{kind}]", actual, limit))
    for kind, limit in _per_planner(slo.max_p95_ms, requests):
        group = requests.group(kind)
        checks.append(ceiling(f"p95_ms[{kind}]", group.p95_ms if group else None, limit, " ms"))
    if unfinished_runs and requests.group(RUN) is None:
        detail = f"no run finished ({unfinished_runs} still running at the end)"
        checks = [
            gate_check(c.name, "fail", detail, limit=c.limit)
            if c.name.endswith(f"[{RUN}]") and c.skipped
            else c
            for c in checks
        ]
    if slo.min_rate_ratio is not None and rate.target_per_s is not None:
        checks.append(floor("rate_ratio", rate.ratio, slo.min_rate_ratio))
    if baseline is not None:
        checks.extend(_against_baseline(requests, baseline, slo.baseline))
    checks.extend(evaluate_quality(quality, slo.quality, quality_metrics))
    return GateReport.of(checks)


def _per_planner(limits: dict[str, float], requests: RequestStats) -> list[tuple[str, float]]:
    """Each limit, and a `RUN` limit once more for each planner's runs (`RUN:<label>`)."""
    found = list(limits.items())
    if RUN in limits:
        found += [(f"{RUN}:{label}", limits[RUN]) for label in requests.run_by_planner]
    return found


def _against_baseline(
    now: RequestStats, base: RequestStats, tolerance: BaselineTolerance
) -> list[GateCheck]:
    checks: list[GateCheck] = []
    for kind in tolerance.p95_types:
        current, before = now.group(kind), base.group(kind)
        name = f"baseline.p95_ms[{kind}]"
        if before is None or before.p95_ms is None:
            checks.append(gate_check(name, "skip", "not in the baseline"))
            continue
        limit = before.p95_ms * (1 + tolerance.max_p95_increase) + tolerance.p95_slack_ms
        check = ceiling(name, current.p95_ms if current else None, limit, " ms")
        baseline = f" (baseline {before.p95_ms:.4g})"
        checks.append(check.model_copy(update={"message": check.message + baseline}))
    minimum = base.http.requests_per_s * (1 - tolerance.max_throughput_drop)
    check = floor("baseline.requests_per_s", now.http.requests_per_s, minimum, " req/s")
    baseline = f" (baseline {base.http.requests_per_s:.4g})"
    checks.append(check.model_copy(update={"message": check.message + baseline}))
    return checks
