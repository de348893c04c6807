"""The host watch: requests in a row with no answer at all mean the host is gone."""

from __future__ import annotations

from dataclasses import dataclass

from crane_bench.load.host_watch import HostWatch, host_check


@dataclass
class Answer:
    """What locust's FastHttpUser passes as `response`: status 0 and an error when none came."""

    status_code: int
    error: Exception | None = None


NONE = Answer(0, ConnectionRefusedError())


def test_the_limit_of_unanswered_requests_in_a_row_means_gone() -> None:
    watch = HostWatch(limit=3)

    seen = [watch.saw(NONE, at=100.0 + i) for i in range(3)]

    assert seen[:2] == [None, None]
    gone = seen[2]
    assert gone is not None
    assert (gone.at.timestamp(), gone.failures, gone.error) == (100.0, 3, "ConnectionRefusedError")
    assert watch.saw(NONE, at=200.0) is None  # said once


def test_any_answer_even_an_error_status_restarts_the_count() -> None:
    watch = HostWatch(limit=3)

    for answer in [NONE, NONE, Answer(500), NONE, NONE, Answer(201), NONE, NONE]:
        assert watch.saw(answer, at=1.0) is None

    assert watch.gone is None


def test_a_limit_of_zero_never_stops() -> None:
    watch = HostWatch(limit=0)
    assert all(watch.saw(NONE, at=1.0) is None for _ in range(100))


def test_the_gate_fails_only_when_the_host_went_away() -> None:
    watch = HostWatch(limit=1)
    gone = watch.saw(NONE, at=0.0)

    assert host_check(None, "http://h").status == "pass"
    check = host_check(gone, "http://h")
    assert check.status == "fail"
    assert check.message.startswith("FAIL host_answered: http://h stopped answering at 00:00:00")
