"""Reading run directories into frames: trials, failures, case lookup, load history."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from crane_bench.reports.errors import RunDataError, RunIncompleteError
from crane_bench.reports.frames import read_eval_frames, tool_sequence
from crane_bench.reports.load_frames import read_load_run
from tests.reports.run_builders import SCRIPT_CASE, SCRIPT_PROMPT


def test_eval_run_frames(eval_dir: Path) -> None:
    run = read_eval_frames(eval_dir)
    assert len(run.trials) == run.summary.trials == 32
    assert set(run.trials["planner"]) == {"pattern", "hybrid"}
    assert run.cases.notes == []
    assert run.cases.files[0].status == "unchanged"
    # Every failing trial is in the failures frame, and only those.
    assert len(run.failures) == int((run.trials["outcome"] != "correct").sum()) == 10
    script = run.failures[
        (run.failures["case_id"] == SCRIPT_CASE) & (run.failures["planner"] == "pattern")
    ]
    first = script.iloc[0]
    assert first["prompt"] == SCRIPT_PROMPT
    assert first["expected_steps"] == [
        ("todo_store", {"action": "add", "title": "<script>alert(1)</script>"})
    ]
    assert first["actual_steps"] == []


def test_tool_sequences_feed_the_confusion_chart(eval_dir: Path) -> None:
    run = read_eval_frames(eval_dir)
    multi = run.trials[(run.trials["case_id"] == "multi-add-list")]
    assert set(multi["expected_tools"]) == {"todo_store → todo_store"}
    error = run.trials[(run.trials["case_id"] == "todo-add") & (run.trials["repeat"] == 1)]
    assert set(error["chosen_tools"]) == {"todo_store", "(no plan)"}
    assert tool_sequence([]) == "(none)"


def test_missing_values_stay_none_not_nan(eval_dir: Path) -> None:
    run = read_eval_frames(eval_dir)
    errors = run.failures["error"].tolist()
    assert None in errors
    assert not any(isinstance(e, float) and math.isnan(e) for e in errors)


def test_changed_case_file_is_read_with_a_warning(eval_dir: Path) -> None:
    cases = eval_dir.parent / "cases" / "fixture.yaml"
    cases.write_text(cases.read_text() + "\n# edited after the run\n")
    run = read_eval_frames(eval_dir)
    assert run.cases.files[0].status == "changed"
    assert "changed since the run" in run.cases.notes[0]
    assert run.failures["prompt"].notna().all()


def test_missing_case_file_leaves_prompts_unknown(eval_dir: Path) -> None:
    shutil.rmtree(eval_dir.parent / "cases")
    run = read_eval_frames(eval_dir)
    assert run.cases.files[0].status == "missing"
    assert run.failures["prompt"].isna().all()
    assert set(run.trials["expected_tools"]) == {"(unknown)"}


def test_rows_that_carry_prompt_and_expected_win_over_case_files(eval_dir: Path) -> None:
    shutil.rmtree(eval_dir.parent / "cases")
    results = eval_dir / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    for row in rows:
        row["prompt"] = f"prompt of {row['case_id']}"
        row["expected"] = {"steps": [{"tool": "calculator", "input": {"expression": "1"}}]}
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run = read_eval_frames(eval_dir)
    assert run.failures["prompt"].str.startswith("prompt of ").all()
    assert set(run.trials["expected_tools"]) == {"calculator"}


def test_torn_last_line_is_skipped_and_noted(eval_dir: Path) -> None:
    with (eval_dir / "results.jsonl").open("a") as out:
        out.write('{"case_id": "calc-a')
    run = read_eval_frames(eval_dir)
    assert run.skipped_lines == [33]
    assert len(run.trials) == 32


def test_malformed_row_names_file_and_line(eval_dir: Path) -> None:
    lines = (eval_dir / "results.jsonl").read_text().splitlines()
    lines[2] = json.dumps({**json.loads(lines[2]), "outcome": "great"})
    (eval_dir / "results.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(RunDataError, match=r"results.jsonl: line 3: outcome"):
        read_eval_frames(eval_dir)


def test_run_without_summary_is_incomplete(eval_dir: Path) -> None:
    (eval_dir / "summary.json").unlink()
    with pytest.raises(RunIncompleteError, match="--resume"):
        read_eval_frames(eval_dir)


def test_load_run_history(load_dir: Path) -> None:
    run = read_load_run(load_dir)
    types = set(run.history["request_type"])
    assert {"RUN", "HTTP", "GET", "POST"} <= types
    assert run.history["t"].min() == 0
    assert run.history.loc[run.history["request_type"] == "POST", "failures"].sum() > 0
    assert run.notes == []


def test_load_run_without_history_has_a_note(load_dir: Path) -> None:
    (load_dir / "history.csv").unlink()
    run = read_load_run(load_dir)
    assert run.history.empty
    assert any("history.csv" in note for note in run.notes)


def test_malformed_load_summary(load_dir: Path) -> None:
    (load_dir / "load_summary.json").write_text('{"version": 1}')
    with pytest.raises(RunDataError, match="not a load summary"):
        read_load_run(load_dir)
