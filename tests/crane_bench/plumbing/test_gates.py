"""One gate model: eval and load checks, and the files written before they shared it."""

from __future__ import annotations

from crane_bench.plumbing.gates import GateCheck, GateReport


def test_an_eval_check_of_the_earlier_shape_reads() -> None:
    old = {"name": "n", "passed": False, "skipped": False, "message": "FAIL x", "threshold": 1.0}
    check = GateCheck.model_validate(old)
    assert (check.status, check.limit, check.failed) == ("fail", 1.0, True)
    improved = GateCheck.model_validate({**old, "passed": True, "improved": True})
    assert (improved.status, improved.passed) == ("improved", True)
    skipped = GateCheck.model_validate({**old, "skipped": True})
    assert (skipped.status, skipped.passed, skipped.failed) == ("skip", False, False)


def test_a_load_check_of_the_earlier_shape_reads() -> None:
    old = {"name": "p95_ms[RUN]", "outcome": "fail", "actual": 80, "limit": 50, "detail": "80 > 50"}
    check = GateCheck.model_validate(old)
    assert check.message == "FAIL p95_ms[RUN]: 80 > 50"
    assert (check.value, check.limit) == (80, 50)


def test_a_report_fails_only_on_a_check_that_ran_and_failed() -> None:
    skip = GateCheck(name="a", status="skip", message="SKIP a: no data")
    better = GateCheck(name="b", status="improved", message="IMPROVED b")
    assert GateReport.of([skip, better]).passed
    bad = GateCheck(name="c", status="fail", message="FAIL c")
    report = GateReport.of([skip, better, bad])
    assert not report.passed
    assert (report.failures, report.improvements) == ([bad], [better])
    assert GateReport.model_validate_json(report.model_dump_json()) == report
