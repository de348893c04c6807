"""One SLO check as a `GateCheck`: a ceiling or a floor on a measured value.

Shared by the latency and failure gates (`load.slo`) and the quality gates
(`load.quality_gates`), so every check of a load run reads the same way:
`FAIL p95_ms[RUN]: 14 > 0.001 ms`, `PASS plan_accuracy[hybrid]: 0.91 >= 0.8`.
"""

from __future__ import annotations

from crane_bench.plumbing.gates import GateCheck, GateStatus


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


def ceiling(
    name: str,
    actual: float | None,
    limit: float,
    unit: str = "",
    missing: str = "no requests of this type",
) -> GateCheck:
    """Pass when `actual <= limit`; skipped (saying `missing`) when nothing was measured."""
    if actual is None:
        return gate_check(name, "skip", missing, limit=limit)
    ok = actual <= limit
    sign = "<=" if ok else ">"
    detail = f"{actual:.4g} {sign} {limit:.4g}{unit}"
    return gate_check(name, "pass" if ok else "fail", detail, actual, limit)


def floor(
    name: str, actual: float | None, limit: float, unit: str = "", missing: str = "not measured"
) -> GateCheck:
    """Pass when `actual >= limit`; skipped (saying `missing`) when nothing was measured."""
    if actual is None:
        return gate_check(name, "skip", missing, limit=limit)
    ok = actual >= limit
    sign = ">=" if ok else "<"
    detail = f"{actual:.4g} {sign} {limit:.4g}{unit}"
    return gate_check(name, "pass" if ok else "fail", detail, actual, limit)
