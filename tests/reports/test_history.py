"""The trend page over a directory of runs: regressions found, runs listed, bad runs noted."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from crane_bench.evals.results import OutcomeClass
from crane_bench.reports import build_history, build_report, read_history
from crane_bench.reports.errors import NotARunDirError
from tests.reports.run_builders import CASES_YAML, PLANS, T0, row, write_eval_run, write_load_run

JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def _pattern_rows(right: bool) -> list:  # type: ignore[type-arg]
    if right:
        return [row(case_id, "pattern") for case_id in PLANS]
    return [row(case_id, "pattern", 0, OutcomeClass.FALSE_ABSTAIN, steps=[]) for case_id in PLANS]


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """good -> all wrong (regression) -> good (improvement) -> other cases; two loads."""
    root = tmp_path / "runs"
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES_YAML)
    other = tmp_path / "other.yaml"
    other.write_text(CASES_YAML + "\n# another suite\n")
    day = timedelta(days=1)
    write_eval_run(root / "e1", _pattern_rows(True), cases=cases, started_at=T0)
    write_eval_run(root / "e2", _pattern_rows(False), cases=cases, started_at=T0 + day)
    write_eval_run(root / "e3", _pattern_rows(True), cases=cases, started_at=T0 + 2 * day)
    write_eval_run(root / "e4", _pattern_rows(True), cases=other, started_at=T0 + 3 * day)
    write_load_run(root / "l1", started_at=T0)
    write_load_run(root / "l2", started_at=T0 + day, slower=3.0)
    (root / "unfinished").mkdir()
    (root / "unfinished" / "spec.json").write_text("{}")
    (root / "broken").mkdir()
    (root / "broken" / "load_summary.json").write_text("{}")
    (root / "notes").mkdir()
    build_report(root / "e1")
    return root


def test_eval_regression_and_improvement_are_paired_tests(series: Path) -> None:
    history = read_history(series)
    points = history.eval_points.set_index("run_id")
    assert list(points.index) == ["e1", "e2", "e3", "e4"]
    assert not points.loc["e1", "regression"]
    assert points.loc["e2", "regression"]
    assert "8 regressions, 0 fixes on 8 paired cases vs e1" in points.loc["e2", "note"]
    assert points.loc["e3", "improved"]
    assert not points.loc["e4", "regression"]
    assert "case files changed" in points.loc["e4", "note"]


def test_load_regression_against_the_same_profile(series: Path) -> None:
    history = read_history(series)
    flagged = history.load_points[history.load_points["regression"]]
    assert set(flagged["run_id"]) == {"l2"}
    assert flagged["note"].str.contains("baseline.p95_ms").all()


def test_runs_table_and_notes(series: Path) -> None:
    history = read_history(series)
    runs = history.runs.set_index("run_id")
    assert list(history.runs["run_id"])[:2] == ["e4", "e3"]  # newest first
    assert "unfinished" not in runs.index
    assert runs.loc["e2", "regressions"][0].startswith("pattern: 8 regressions")
    assert runs.loc["e1", "report"] == "e1/report.html"
    assert runs.loc["e2", "report"] is None  # not built: no link
    assert runs.loc["e2", "failed"] == 1
    assert any("broken" in note for note in history.notes)


def test_history_page(series: Path) -> None:
    path = build_history(series)
    assert path == series / "history.html"
    html = path.read_text()
    blocks = dict(JSON_BLOCK.findall(html))
    assert set(blocks) == {
        "chart-history-accuracy-data",
        "chart-history-eval-latency-data",
        "chart-history-load-latency-data",
        "chart-history-throughput-data",
    }
    accuracy = json.loads(blocks["chart-history-accuracy-data"])
    names = [trace.get("name") for trace in accuracy["data"]]
    assert names == ["pattern", "regression", "improvement"]
    assert '<a href="e1/report.html">e1</a>' in html
    assert "latest load run regressed" in html


def test_empty_directory(tmp_path: Path) -> None:
    html = build_history(tmp_path).read_text()
    assert "No finished run in this directory." in html
    assert 'id="plotly-js"' not in html  # no charts, no plotly


def test_history_of_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(NotARunDirError):
        build_history(tmp_path / "nope")
