"""The per-second history: buckets, worker reports merged by the master, CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crane_bench.load import HistoryRecorder, read_history, write_history


def fill(recorder: HistoryRecorder, base: int) -> None:
    for ms in (1.0, 2.0, 3.0, 40.0):
        recorder.request(base, "POST", ms, failed=False)
        recorder.request(base, "RUN", ms * 2, failed=ms > 30)
        recorder.arrival(base)
    recorder.request(base + 2, "GET", 5.0, failed=True)


def test_rows_cover_every_second_and_type_with_that_seconds_percentiles() -> None:
    recorder = HistoryRecorder()
    fill(recorder, 1000)
    recorder.users(1000.2, 4)
    recorder.users(1001.5, 6)
    rows = recorder.rows()
    assert [(r.t, r.request_type) for r in rows] == [
        (t, kind) for t in range(3) for kind in ("GET", "POST", "RUN", "HTTP")
    ]
    first = {r.request_type: r for r in rows if r.t == 0}
    assert first["POST"].requests == 4
    assert (first["POST"].p50_ms, first["POST"].p99_ms) == (2.0, 40.0)
    assert first["RUN"].failures == 1
    assert first["HTTP"].requests == 4  # RUN is not HTTP
    assert first["GET"].requests == 0
    assert first["GET"].p50_ms is None
    assert (first["HTTP"].users, first["HTTP"].arrivals) == (4, 4)
    assert {r.users for r in rows if r.t == 2} == {6}  # carried over a second without a sample
    quiet = {r.request_type: r for r in rows if r.t == 1}
    assert quiet["HTTP"].requests == 0
    assert quiet["HTTP"].users == 6
    assert recorder.arrivals_total == 4
    assert recorder.user_seconds(until=1003.0) == pytest.approx(4 * 1.3 + 6 * 1.5)


def test_user_seconds_stop_at_until() -> None:
    recorder = HistoryRecorder()
    recorder.users(10.0, 0)
    recorder.users(11.0, 10)
    recorder.users(20.0, 0)
    assert recorder.user_seconds(until=15.0) == 40.0
    assert recorder.user_seconds(until=25.0) == 90.0
    assert HistoryRecorder().user_seconds(until=5.0) == 0.0


def test_worker_reports_merge_to_the_same_rows() -> None:
    direct, master = HistoryRecorder(), HistoryRecorder()
    fill(direct, 1000)
    fill(direct, 1001)
    for base in (1000, 1001):
        worker = HistoryRecorder()
        fill(worker, base)
        worker.unfinished_run()
        report = json.loads(json.dumps(worker.drain()))  # what travels to the master
        master.merge(report)
        assert worker.rows() == []  # drained
    assert master.rows() == direct.rows()
    assert master.arrivals_total == 8
    assert master.unfinished_runs == 2


def test_csv_round_trip(tmp_path: Path) -> None:
    recorder = HistoryRecorder()
    fill(recorder, 50)
    path = tmp_path / "history.csv"
    write_history(recorder.rows(), path)
    assert path.read_text().splitlines()[0] == (
        "t,timestamp,users,arrivals,request_type,requests,failures,p50_ms,p95_ms,p99_ms"
    )
    assert read_history(path) == recorder.rows()
    assert HistoryRecorder().rows() == []
