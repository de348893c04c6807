"""SLO gates: the file, the thresholds, and the baseline comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from crane_bench.load import DEFAULT_SLO, LoadConfigError, SloConfig, evaluate, load_slo
from crane_bench.load.stats import RateReport, RequestStats, rate_report, request_stats
from tests.load.entries import entry

CLOSED = rate_report(
    arrivals=100, duration_s=10.0, target_per_s=None, per_user_rate=None, user_seconds=100
)


def stats(run_ms: int = 10, http_ms: int = 2, failures: int = 0, n: int = 100) -> RequestStats:
    return request_stats(
        [
            entry("POST", "/api/v1/runs", [http_ms] * n),
            entry("RUN", "calculator", [run_ms] * n, failures=failures),
        ],
        [],
        duration_s=10.0,
    )


def outcome(report_checks: list[tuple[str, str]], name: str) -> str:
    return dict(report_checks)[name]


def test_the_shipped_slo_file_reads() -> None:
    slo = load_slo(DEFAULT_SLO)
    assert slo.max_fail_ratio == {"HTTP": 0.01, "RUN": 0.01}
    assert "RUN" in slo.max_p95_ms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_p95_ms: {RUN: fast}\n", "max_p95_ms.RUN"),
        ("min_rate_ratoi: 0.9\n", "min_rate_ratoi"),
        ("max_fail_ratio: [\n", "not valid YAML"),
    ],
)
def test_a_bad_slo_file_is_one_line_naming_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(text)
    with pytest.raises(LoadConfigError, match=message):
        load_slo(path)
    with pytest.raises(LoadConfigError, match="No such file"):
        load_slo(tmp_path / "missing.yaml")


def test_a_healthy_run_passes() -> None:
    report = evaluate(stats(), CLOSED, SloConfig(max_p95_ms={"RUN": 50}))
    assert report.passed
    assert report.failures == []
    assert {c.name for c in report.checks} == {
        "min_requests", "fail_ratio[HTTP]", "fail_ratio[RUN]", "p95_ms[RUN]",
    }  # fmt: skip


def test_each_failing_check_is_named_with_its_numbers() -> None:
    report = evaluate(stats(run_ms=80, failures=5), CLOSED, SloConfig(max_p95_ms={"RUN": 50}))
    assert not report.passed
    lines = [c.message for c in report.failures]
    assert lines == ["FAIL fail_ratio[RUN]: 0.05 > 0.01", "FAIL p95_ms[RUN]: 80 > 50 ms"]


def test_a_type_that_did_not_occur_is_skipped_not_passed() -> None:
    health_only = request_stats([entry("GET", "/api/v1/health", [1] * 10)], [], duration_s=1.0)
    report = evaluate(health_only, CLOSED, SloConfig(max_p95_ms={"RUN": 50}))
    skipped = {c.name for c in report.checks if c.status == "skip"}
    assert skipped == {"fail_ratio[RUN]", "p95_ms[RUN]"}
    assert report.passed


def test_an_idle_run_fails_min_requests() -> None:
    idle = request_stats([], [], duration_s=1.0)
    report = evaluate(idle, CLOSED, SloConfig())
    assert [c.name for c in report.failures] == ["min_requests"]


def test_rate_ratio_is_checked_only_in_an_open_workload() -> None:
    short = RateReport(
        target_per_s=10.0, expected_per_s=10.0, achieved_per_s=8.0, ratio=0.8, arrivals=80
    )
    report = evaluate(stats(), short, SloConfig())
    assert [c.name for c in report.failures] == ["rate_ratio"]
    assert "rate_ratio" not in {c.name for c in evaluate(stats(), CLOSED, SloConfig()).checks}


def test_baseline_flags_slower_p95_and_lower_throughput() -> None:
    base = stats(run_ms=10, http_ms=2, n=100)
    fine = evaluate(stats(run_ms=12, http_ms=3, n=95), CLOSED, SloConfig(), baseline=base)
    assert fine.passed, [c.message for c in fine.failures]
    worse = evaluate(stats(run_ms=40, http_ms=2, n=50), CLOSED, SloConfig(), baseline=base)
    assert {c.name for c in worse.failures} == {
        "baseline.p95_ms[RUN]", "baseline.requests_per_s",
    }  # fmt: skip
    assert "(baseline 10)" in next(c.message for c in worse.failures if "p95" in c.name)


def test_runs_that_never_finished_fail_the_run_checks_instead_of_skipping() -> None:
    submitted_only = request_stats([entry("POST", "/api/v1/runs", [3] * 4)], [], duration_s=8.0)
    slo = SloConfig(max_p95_ms={"RUN": 1000})
    assert evaluate(submitted_only, CLOSED, slo).passed  # nothing known to be unfinished
    report = evaluate(submitted_only, CLOSED, slo, unfinished_runs=4)
    assert [c.message for c in report.failures] == [
        "FAIL fail_ratio[RUN]: no run finished (4 still running at the end)",
        "FAIL p95_ms[RUN]: no run finished (4 still running at the end)",
    ]
    assert evaluate(stats(), CLOSED, slo, unfinished_runs=4).passed  # some did finish
