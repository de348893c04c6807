"""SLO gates: thresholds from `slo.yaml`, and regressions against a baseline run.

Gates are pure functions of the measured stats, so the locust process (its `quitting`
listener sets the exit code from them) and the tests evaluate them the same way. A
check whose request type did not occur in the run is skipped, not passed silently:
the health scenario submits no runs, so it has no `RUN` p95 to hold.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from load.errors import LoadConfigError
from load.stats import HTTP, RUN, RateReport, RequestStats
from plumbing.gates import GateCheck, GateReport, GateStatus


def gate_check(
    name: str,
    status: GateStatus,
    detail: str,
    actual: float | None = None,
    limit: float | None = None,
) -> GateCheck:
    """A check whose message is `STATUS name: detail`."""
    message = f"{status.upper()} {name}: {detail}"
    return GateCheck(name=name, status=status, message=message, value=actual, limit=limit)


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


def load_slo(path: Path) -> SloConfig:
    """Read an SLO file.

    Raises:
        LoadConfigError: The file is missing, not YAML, or not an SLO config.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return SloConfig.model_validate(data or {})
    except OSError as exc:
        raise LoadConfigError(f"SLO file {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise LoadConfigError(f"SLO file {path}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise LoadConfigError(f"SLO file {path}: {where}: {first['msg']}") from exc


def _ceiling(name: str, actual: float | None, limit: float, unit: str = "") -> GateCheck:
    if actual is None:
        return gate_check(name, "skip", "no requests of this type", limit=limit)
    ok = actual <= limit
    sign = "<=" if ok else ">"
    detail = f"{actual:.4g} {sign} {limit:.4g}{unit}"
    return gate_check(name, "pass" if ok else "fail", detail, actual, limit)


def _floor(name: str, actual: float | None, limit: float, unit: str = "") -> GateCheck:
    if actual is None:
        return gate_check(name, "skip", "not measured", limit=limit)
    ok = actual >= limit
    sign = ">=" if ok else "<"
    detail = f"{actual:.4g} {sign} {limit:.4g}{unit}"
    return gate_check(name, "pass" if ok else "fail", detail, actual, limit)


def evaluate(
    requests: RequestStats,
    rate: RateReport,
    slo: SloConfig,
    baseline: RequestStats | None = None,
    *,
    unfinished_runs: int = 0,
) -> GateReport:
    """Check a run's stats against the SLO and, when given, a baseline run's stats.

    Args:
        requests: The run's request stats.
        rate: Its arrival rate.
        slo: The thresholds.
        baseline: A previous run's request stats, for the regression checks.
        unfinished_runs: Runs still in flight at the end. When no run finished at all,
            the `RUN` checks fail instead of being skipped: the runs were too slow to
            measure, which is not a pass.
    """
    checks = [_floor("min_requests", float(requests.http.requests), float(slo.min_requests))]
    for kind, limit in slo.max_fail_ratio.items():
        group = requests.group(kind)
        actual = group.fail_ratio if group is not None and group.requests else None
        checks.append(_ceiling(f"fail_ratio[{kind}]", actual, limit))
    for kind, limit in slo.max_p95_ms.items():
        group = requests.group(kind)
        checks.append(_ceiling(f"p95_ms[{kind}]", group.p95_ms if group else None, limit, " ms"))
    if unfinished_runs and requests.group(RUN) is None:
        detail = f"no run finished ({unfinished_runs} still running at the end)"
        checks = [
            gate_check(c.name, "fail", detail, limit=c.limit)
            if c.name.endswith(f"[{RUN}]") and c.skipped
            else c
            for c in checks
        ]
    if slo.min_rate_ratio is not None and rate.target_per_s is not None:
        checks.append(_floor("rate_ratio", rate.ratio, slo.min_rate_ratio))
    if baseline is not None:
        checks.extend(_against_baseline(requests, baseline, slo.baseline))
    return GateReport.of(checks)


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
        check = _ceiling(name, current.p95_ms if current else None, limit, " ms")
        baseline = f" (baseline {before.p95_ms:.4g})"
        checks.append(check.model_copy(update={"message": check.message + baseline}))
    floor = base.http.requests_per_s * (1 - tolerance.max_throughput_drop)
    check = _floor("baseline.requests_per_s", now.http.requests_per_s, floor, " req/s")
    baseline = f" (baseline {base.http.requests_per_s:.4g})"
    checks.append(check.model_copy(update={"message": check.message + baseline}))
    return checks
