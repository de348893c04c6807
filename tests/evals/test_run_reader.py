"""`read_run`: a run directory as typed objects, and one error for a damaged run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crane_bench.evals import EvalRun, RunLogError, read_run
from crane_bench.evals.metrics import trials_frame
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_reader import Rows
from crane_bench.plumbing.errors import RunFileError
from tests.evals.eval_helpers import (
    CASES,
    isolated_workdir,
    offline_settings,
    pattern_opener,
    run_new,
)


@pytest.fixture
async def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A finished run of the real pattern planner over the test cases, twice each."""
    isolated_workdir(tmp_path, monkeypatch)
    config = EvalConfig.model_validate(
        {"planners": ("pattern",), "case_paths": (tmp_path / "cases.yaml",), "repeats": 2}
    )
    await run_new(config, offline_settings(), tmp_path / "run", open_planner_for=pattern_opener())
    return tmp_path / "run"


def test_a_finished_run_reads_as_typed_objects(run_dir: Path) -> None:
    run = read_run(run_dir)
    assert isinstance(run, EvalRun)
    assert run.finished
    assert run.summary is not None
    assert run.spec.args.planners == ["pattern"]
    rows = list(run.rows())
    assert all(isinstance(row, TrialResult) for row in rows)
    assert len(rows) == run.summary.trials == 2 * len(CASES)
    assert {row.case_id for row in rows} == {case["id"] for case in CASES}
    # The frame holds what the summary was computed from.
    pd.testing.assert_frame_equal(run.frame(), trials_frame(rows), check_like=True)
    assert run.frame().attrs["skipped_lines"] == []


def test_transcripts_and_cases_are_read_when_asked(run_dir: Path) -> None:
    run = read_run(run_dir)
    assert run.has_transcripts
    found = run.find_transcripts("calc-add")
    assert sorted(t.repeat for t in found) == [0, 1]
    assert {t.key for t in run.transcripts()} == {
        (row.planner, row.case_id, row.repeat) for row in run.rows()
    }
    cases = run.cases()
    assert cases.notes == []
    assert [f.status for f in cases.files] == ["unchanged"]
    assert set(cases.cases) == {case["id"] for case in CASES}


def test_a_run_that_did_not_finish_has_no_summary_but_its_rows(run_dir: Path) -> None:
    (run_dir / "summary.json").unlink()
    run = read_run(run_dir)
    assert not run.finished
    assert run.summary is None
    assert len(list(run.rows())) == 2 * len(CASES)


def test_a_run_that_wrote_no_row_yet_has_none(run_dir: Path) -> None:
    (run_dir / "summary.json").unlink()
    (run_dir / "results.jsonl").unlink()
    run = read_run(run_dir)
    assert list(run.rows()) == []
    assert run.frame().empty


def test_a_torn_last_line_is_skipped_and_said(run_dir: Path) -> None:
    with (run_dir / "results.jsonl").open("a") as out:
        out.write('{"case_id": "calc-a')
    rows = read_run(run_dir).rows()
    assert len(list(rows)) == 2 * len(CASES)
    assert rows.torn_line == 2 * len(CASES) + 1
    assert read_run(run_dir).frame().attrs["skipped_lines"] == [2 * len(CASES) + 1]


def test_a_malformed_row_names_file_line_and_field(run_dir: Path) -> None:
    results = run_dir / "results.jsonl"
    lines = results.read_text().splitlines()
    lines[1] = json.dumps({**json.loads(lines[1]), "outcome": "great"})
    results.write_text("\n".join(lines) + "\n")
    run = read_run(run_dir)  # the rows are read when asked
    with pytest.raises(RunLogError, match=r"results.jsonl: line 2: outcome: Input should be"):
        list(run.rows())
    lines[1] = "[1, 2]"
    results.write_text("\n".join(lines) + "\n")
    with pytest.raises(RunLogError, match="line 2: not a row"):
        run.frame()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no_dir", "not an eval run directory"),
        ("empty_dir", r"not an eval run directory \(no spec.json\)"),
        ("bad_spec", r"spec.json: not a run spec: args: Field required"),
        ("bad_summary", r"summary.json: not an eval summary: trials: Input should be"),
        ("summary_without_rows", "no results.jsonl beside its summary"),
        ("newer_summary", "summary version 3: this crane-bench reads versions 1, 2"),
    ],
)
def test_a_damaged_run_is_one_error_naming_the_file(
    run_dir: Path, tmp_path: Path, damage: str, message: str
) -> None:
    target = run_dir
    summary = run_dir / "summary.json"
    if damage == "no_dir":
        target = tmp_path / "nowhere"
    elif damage == "empty_dir":
        target = tmp_path / "empty"
        target.mkdir()
    elif damage == "bad_spec":
        (run_dir / "spec.json").write_text('{"name": "crane-bench eval"}')
    elif damage == "bad_summary":
        summary.write_text(json.dumps({**json.loads(summary.read_text()), "trials": "many"}))
    elif damage == "summary_without_rows":
        (run_dir / "results.jsonl").unlink()
    else:
        summary.write_text(json.dumps({**json.loads(summary.read_text()), "version": 3}))
    with pytest.raises(RunLogError, match=message) as caught:
        read_run(target)
    assert isinstance(caught.value, RunFileError)  # as every run-file error
    assert "\n" not in str(caught.value)


def test_a_run_moved_with_its_cases_finds_them_by_name(run_dir: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "run"
    shutil.copytree(run_dir, moved)
    (tmp_path / "cases.yaml").rename(moved / "cases.yaml")
    run = read_run(moved)
    assert [Path(ref.path) for ref in run.spec.args.case_files] == [moved / "cases.yaml"]
    assert [f.status for f in run.cases().files] == ["unchanged"]
    (moved / "cases.yaml").unlink()
    assert [f.status for f in read_run(moved).cases().files] == ["missing"]


def test_rows_of_a_subclass_read_with_their_own_model(tmp_path: Path, run_dir: Path) -> None:
    class Timed(TrialResult):
        t: float

    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    path = tmp_path / "timed.jsonl"
    path.write_text("".join(json.dumps({**row, "t": 1.5}) + "\n" for row in rows))
    timed: Rows[TrialResult] = Rows(path, Timed)
    assert [row.t for row in timed if isinstance(row, Timed)] == [1.5] * len(rows)
    with pytest.raises(RunLogError, match="line 1: t: Extra inputs are not permitted"):
        list(Rows(path, TrialResult))
