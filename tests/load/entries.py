"""Locust-shaped stats entries for the stats and gate tests."""

from __future__ import annotations

from typing import Any


def entry(method: str, name: str, times_ms: list[int], failures: int = 0) -> dict[str, Any]:
    """A serialised locust `StatsEntry` with these response times (whole ms, as locust keeps)."""
    response_times: dict[int, int] = {}
    for ms in times_ms:
        response_times[ms] = response_times.get(ms, 0) + 1
    return {
        "name": name,
        "method": method,
        "last_request_timestamp": 1.0,
        "start_time": 0.0,
        "num_requests": len(times_ms),
        "num_none_requests": 0,
        "num_failures": failures,
        "total_response_time": float(sum(times_ms)),
        "max_response_time": float(max(times_ms, default=0)),
        "min_response_time": float(min(times_ms, default=0)),
        "total_content_length": 0,
        "response_times": response_times,
        "num_reqs_per_sec": {},
        "num_fail_per_sec": {},
    }


def error(method: str, name: str, message: str, occurrences: int) -> dict[str, Any]:
    """A serialised locust `StatsError`."""
    return {
        "method": method,
        "name": name,
        "error": message,
        "occurrences": occurrences,
        "first_seen": 0.0,
        "last_seen": 1.0,
    }
