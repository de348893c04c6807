"""Request stats from locust entries, and the arrival rate."""

from __future__ import annotations

from crane_bench.load.stats import rate_report, request_stats
from tests.load.entries import entry, error


def test_stats_group_by_type_and_keep_run_out_of_http() -> None:
    stats = request_stats(
        [
            entry("POST", "/api/v1/runs", [2] * 90 + [40] * 10, failures=1),
            entry("GET", "/api/v1/runs/[id]", [1] * 100),
            entry("GET", "/api/v1/health", [3] * 20),
            entry("RUN", "calculator", [5] * 95 + [90] * 5, failures=2),
        ],
        [
            error("RUN", "calculator", "expected completed, got failed (tool_error)", 2),
            error("POST", "/api/v1/runs", "HTTP 503", 1),
        ],
        duration_s=10.0,
    )
    assert set(stats.by_type) == {"GET", "POST", "RUN"}
    assert stats.by_type["GET"].requests == 120
    assert stats.http.requests == 220  # RUN is not an HTTP request
    assert stats.http.failures == 1
    assert stats.http.requests_per_s == 22.0
    run = stats.group("RUN")
    assert run is not None
    assert (run.p50_ms, run.p95_ms, run.p99_ms, run.max_ms) == (5, 5, 90, 90)
    assert run.fail_ratio == 0.02
    post = stats.by_type["POST"]
    assert post.p95_ms == 40
    assert post.mean_ms == (2 * 90 + 40 * 10) / 100
    assert stats.group("HTTP") == stats.http
    assert stats.group("PATCH") is None
    assert [f.occurrences for f in stats.failures] == [2, 1]
    assert next((e.request_type, e.name) for e in stats.endpoints) == ("GET", "/api/v1/health")


def test_stats_skip_locust_aggregated_row_and_survive_no_requests() -> None:
    stats = request_stats([entry("", "Aggregated", [1, 2])], [], duration_s=0.0)
    assert stats.by_type == {}
    assert stats.http.requests == 0
    assert stats.http.p95_ms is None
    assert stats.http.requests_per_s == 0.0


def test_json_file_keys_are_strings_and_still_read() -> None:
    raw = entry("RUN", "todo", [10, 20, 30])
    raw["response_times"] = {str(k): v for k, v in raw["response_times"].items()}
    stats = request_stats([raw], [], duration_s=1.0)
    assert stats.by_type["RUN"].p50_ms == 20


def test_rate_against_a_target_weighs_by_users_present() -> None:
    # 10 users at 1/s each for 8 of 10 seconds, ramping the first two: 90 user-seconds.
    rate = rate_report(
        arrivals=81, duration_s=10.0, target_per_s=10.0, per_user_rate=1.0, user_seconds=90
    )
    assert rate.expected_per_s == 9.0
    assert rate.achieved_per_s == 8.1
    assert rate.ratio is not None
    assert round(rate.ratio, 3) == 0.9


def test_rate_without_target_reports_only_what_was_achieved() -> None:
    rate = rate_report(
        arrivals=50, duration_s=5.0, target_per_s=None, per_user_rate=None, user_seconds=25
    )
    assert (rate.achieved_per_s, rate.expected_per_s, rate.ratio) == (10.0, None, None)


def test_own_failure_messages_lose_the_exception_wrapper() -> None:
    stats = request_stats(
        [entry("POST", "/api/v1/runs", [1] * 3, failures=3)],
        [
            error("POST", "/api/v1/runs", "CatchResponseError('HTTP 500')", 2),
            error("RUN", "todo", 'RunFailedError("expected completed, got failed (it\'s)")', 1),
            error("GET", "/x", "ConnectionRefusedError(111, 'refused')", 1),
        ],
        duration_s=1.0,
    )
    assert [f.error for f in stats.failures] == [
        "HTTP 500",
        "expected completed, got failed (it's)",
        "ConnectionRefusedError(111, 'refused')",
    ]
