"""Request statistics from locust's entries: counts, rates and percentiles per request type.

The input is what locust serialises per `(method, name)` entry: `StatsEntry.serialize()`
in a listener, or one element of its `--json-file` output (the same keys). Neither
loses the last second the way the single-process CSV does. `RUN` is the end-to-end run
latency the scenarios record; it is a request type of its own and kept out of `HTTP`,
the aggregate of real HTTP requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from crane_bench.load import histogram

RUN: Final = "RUN"
HTTP: Final = "HTTP"
# locust records a failure as the repr of its exception; for the scenarios' own failure
# messages (`response.failure(...)`, a failed `RUN`) the wrapper says nothing.
_OWN_FAILURE = re.compile(
    r"(?:CatchResponseError|RunFailedError)\((['\"])(?P<message>.*)\1\)", re.S
)


class LocustEntry(BaseModel):
    """The fields of one locust stats entry that the summary reads."""

    model_config = ConfigDict(extra="ignore")

    name: str
    method: str
    num_requests: int = 0
    num_failures: int = 0
    total_response_time: float = 0.0
    max_response_time: float = 0.0
    min_response_time: float | None = None
    response_times: dict[float, int] = Field(default_factory=dict)


class LocustError(BaseModel):
    """One row of locust's error table."""

    model_config = ConfigDict(extra="ignore")

    method: str | None = None
    name: str | None = None
    error: str
    occurrences: int


class LatencyStats(BaseModel):
    """Counts, rate and latency of a group of requests (milliseconds)."""

    model_config = ConfigDict(extra="forbid")

    requests: int
    failures: int
    fail_ratio: float
    requests_per_s: float
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class EndpointStats(LatencyStats):
    """The stats of one `(request type, name)` entry."""

    request_type: str
    name: str


class FailureCount(BaseModel):
    """How often one failure happened."""

    model_config = ConfigDict(extra="forbid")

    request_type: str
    name: str
    error: str
    occurrences: int


class RequestStats(BaseModel):
    """Everything locust measured, grouped by request type and by entry."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    duration_s: float
    """Seconds the rates are computed over: first user started to test stop."""
    http: LatencyStats
    """Every HTTP request together (`RUN` excluded)."""
    by_type: dict[str, LatencyStats]
    """By request type: `GET`, `POST`, `RUN`."""
    endpoints: list[EndpointStats]
    failures: list[FailureCount]
    """Failures by request type, name and message, most frequent first."""
    run_by_planner: dict[str, LatencyStats] = Field(default_factory=dict)
    """`RUN` by planner label, when the runs asked for several planners."""

    def group(self, request_type: str) -> LatencyStats | None:
        """The stats of a request type, of `HTTP`, or of one planner's runs (`RUN:<label>`)."""
        if request_type == HTTP:
            return self.http
        if request_type.startswith(f"{RUN}:"):
            return self.run_by_planner.get(request_type.removeprefix(f"{RUN}:"))
        return self.by_type.get(request_type)


def run_name(kind: str, planner: str | None) -> str:
    """The name of a `RUN` entry: its kind, and the planner label when runs vary in it."""
    return kind if planner is None else f"{kind} [{planner}]"


def planner_of(name: str, planners: Sequence[str]) -> str | None:
    """The label a `RUN` entry's name ends in (the longest that fits), or None."""
    fitting = [p for p in planners if name.endswith(f" [{p}]")]
    return max(fitting, key=len) if fitting else None


def failure_message(error: str) -> str:
    """The error text locust recorded, without the wrapper of the scenarios' own failures."""
    match = _OWN_FAILURE.fullmatch(error)
    return match.group("message") if match else error


def latency_stats(entries: Iterable[LocustEntry], duration_s: float) -> LatencyStats:
    """Aggregate `entries` into one group."""
    entries = list(entries)
    requests = sum(e.num_requests for e in entries)
    failures = sum(e.num_failures for e in entries)
    hist = histogram.merge(e.response_times for e in entries)
    timed = sum(hist.values())
    maxima = [e.max_response_time for e in entries if e.num_requests]
    return LatencyStats(
        requests=requests,
        failures=failures,
        fail_ratio=failures / requests if requests else 0.0,
        requests_per_s=requests / duration_s if duration_s > 0 else 0.0,
        mean_ms=sum(e.total_response_time for e in entries) / timed if timed else None,
        p50_ms=histogram.percentile(hist, 0.50),
        p95_ms=histogram.percentile(hist, 0.95),
        p99_ms=histogram.percentile(hist, 0.99),
        max_ms=max(maxima) if maxima else None,
    )


def request_stats(
    entries: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]],
    duration_s: float,
    planners: Sequence[str] = (),
) -> RequestStats:
    """Build the request statistics from locust's serialised entries and errors.

    Args:
        entries: Serialised stats entries, one per `(method, name)`; the `Aggregated`
            total is skipped if present (it is recomputed per group here).
        errors: Serialised error rows (`StatsError.serialize()`).
        duration_s: Seconds to divide counts by for the rates.
        planners: The planner labels runs asked for in turn; with more than one, `RUN`
            entries are named by `run_name` and grouped by label too.
    """
    parsed = [LocustEntry.model_validate(e) for e in entries]
    parsed = [e for e in parsed if e.name != "Aggregated" or e.method]
    types = sorted({e.method for e in parsed})
    by_type = {t: latency_stats((e for e in parsed if e.method == t), duration_s) for t in types}
    endpoints = [
        EndpointStats(
            request_type=e.method, name=e.name, **latency_stats([e], duration_s).model_dump()
        )
        for e in sorted(parsed, key=lambda e: (e.method, e.name))
    ]
    rows = [LocustError.model_validate(e) for e in errors]
    failures = [
        FailureCount(
            request_type=r.method or "",
            name=r.name or "",
            error=failure_message(r.error),
            occurrences=r.occurrences,
        )
        for r in sorted(rows, key=lambda r: -r.occurrences)
    ]
    runs = [e for e in parsed if e.method == RUN]
    by_planner = {
        label: latency_stats((e for e in runs if planner_of(e.name, planners) == label), duration_s)
        for label in (planners if len(planners) > 1 else ())
    }
    return RequestStats(
        duration_s=duration_s,
        http=latency_stats((e for e in parsed if e.method != RUN), duration_s),
        by_type=by_type,
        endpoints=endpoints,
        failures=failures,
        run_by_planner=by_planner,
    )


class RateReport(BaseModel):
    """Arrivals achieved against the open workload's target.

    In a closed workload (no target) only the achieved rate is reported. The expected
    rate weighs the target by the users that were running each second, so a ramp-up or
    a shape's low phase does not read as a shortfall; a ratio below 1 then means the
    users could not keep pace: the service queued them (or there were too few users).
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    target_per_s: float | None
    """The configured arrival rate at full users; None in a closed workload."""
    expected_per_s: float | None
    """The target weighed by the users running each second."""
    achieved_per_s: float
    """Arrivals (task iterations) per second."""
    ratio: float | None
    """Achieved / expected; None without a target."""
    arrivals: int


def rate_report(
    *,
    arrivals: int,
    duration_s: float,
    target_per_s: float | None,
    per_user_rate: float | None,
    user_seconds: float,
) -> RateReport:
    """Compare the achieved arrival rate with the target (see `RateReport`)."""
    achieved = arrivals / duration_s if duration_s > 0 else 0.0
    expected = None
    if per_user_rate is not None and duration_s > 0:
        expected = per_user_rate * user_seconds / duration_s
    return RateReport(
        target_per_s=target_per_s,
        expected_per_s=expected,
        achieved_per_s=achieved,
        ratio=achieved / expected if expected else None,
        arrivals=arrivals,
    )
