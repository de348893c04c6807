"""`crane-bench rescore`: stored plans judged again after a case's expectations change.

Runs are made with the real pattern planner (or a scripted one where a test needs a plan
the rules would not make), then a case file is edited and the run re-scored.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.errors import RescoreRefusedError
from crane_bench.evals.rescore_run import BACKUP_FILE, TRANSCRIPTS_BACKUP_FILE, rescore_run
from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.transcript_store import iter_transcripts
from crane_bench.evals.transcripts import ScoreEvent
from crane_bench.runtime.models import Plan, PlanStep
from tests.evals.eval_helpers import (
    CASES,
    GOLD_PLANS,
    ScriptedPlanner,
    isolated_workdir,
    offline_settings,
    opener_of,
    pattern_opener,
    read_rows,
    run_new,
    write_cases,
)

GATES = "checks:\n  - {planner: pattern, metric: plan_accuracy, op: '>=', threshold: 0.7}\n"
PASSING = "checks:\n  - {planner: pattern, metric: n, op: '>=', threshold: 1}\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolated_workdir(tmp_path, monkeypatch)
    (tmp_path / "gates.yaml").write_text(GATES)
    (tmp_path / "pass.yaml").write_text(PASSING)
    return tmp_path


def edited(case_id: str, **changes: Any) -> list[dict[str, Any]]:
    """The test cases with one case's fields replaced."""
    cases = copy.deepcopy(CASES)
    for case in cases:
        if case["id"] == case_id:
            case.update(changes)
    return cases


async def pattern_run(workdir: Path, **config: Any) -> RunDir:
    settings = offline_settings()
    values = {"planners": ("pattern",), "case_paths": (workdir / "cases.yaml",), **config}
    values.setdefault("gates_path", workdir / "gates.yaml")
    run, _ = await run_new(
        EvalConfig.model_validate(values),
        settings,
        workdir / "run",
        open_planner_for=pattern_opener(),
    )
    return run


def outcomes(run: RunDir) -> dict[str, str]:
    return {f"{r['case_id']}/{r['planner']}": r["outcome"] for r in read_rows(run.results_file)}


async def test_a_changed_expected_plan_changes_exactly_that_cases_outcome(workdir: Path) -> None:
    run = await pattern_run(workdir)
    before_text = run.results_file.read_text()
    before = outcomes(run)
    assert before["calc-add/pattern"] == "correct"
    wrong = {"steps": [{"tool": "calculator", "input": {"expression": "2 * 3"}}], "outcome": 6}
    write_cases(workdir / "cases.yaml", edited("calc-add", expected=wrong))

    result = await rescore_run(run.path)

    after = outcomes(run)
    assert {k for k in before if before[k] != after[k]} == {"calc-add/pattern"}
    assert after["calc-add/pattern"] == "wrong_args"
    [change] = result.outcome_changes
    assert (change.case_id, change.planner, change.old, change.new) == (
        "calc-add",
        "pattern",
        OutcomeClass.CORRECT,
        OutcomeClass.WRONG_ARGS,
    )
    assert [(c.case_id, c.fields) for c in result.case_changes] == [("calc-add", ("expected",))]
    # The other rows are unchanged to the byte; the originals are kept beside them.
    old_lines, new_lines = before_text.splitlines(), run.results_file.read_text().splitlines()
    pairs = zip(old_lines, new_lines, strict=True)
    differing = [json.loads(a)["case_id"] for a, b in pairs if a != b]
    assert differing == ["calc-add"]
    assert (run.path / BACKUP_FILE).read_text() == before_text
    row = next(r for r in read_rows(run.results_file) if r["case_id"] == "calc-add")
    assert row["expected"] == {**wrong, "fails": False}  # the row records what it was judged on
    # The summary and gates follow.
    was = result.previous.planners["pattern"].value("plan_accuracy")
    now = result.summary.planners["pattern"].value("plan_accuracy")
    assert was is not None
    assert now == pytest.approx(was - 1 / len(CASES))
    assert result.previous.gates.checks[0].value == was
    assert result.summary.gates.checks[0].value == now
    assert result.summary.rescored_at is not None


async def test_a_rescored_trial_gets_a_new_score_event_in_its_transcript(workdir: Path) -> None:
    run = await pattern_run(workdir)
    before_text = run.transcripts_file.read_text()
    wrong = {"steps": [{"tool": "calculator", "input": {"expression": "2 * 3"}}], "outcome": 6}
    write_cases(workdir / "cases.yaml", edited("calc-add", expected=wrong))

    await rescore_run(run.path)

    after_lines = run.transcripts_file.read_text().splitlines()
    pairs = zip(before_text.splitlines(), after_lines, strict=True)
    assert [json.loads(a)["case_id"] for a, b in pairs if a != b] == ["calc-add"]
    assert (run.path / TRANSCRIPTS_BACKUP_FILE).read_text() == before_text
    transcript = next(t for t in iter_transcripts(run.transcripts_file) if t.case_id == "calc-add")
    scores = [e for e in transcript.events if isinstance(e, ScoreEvent)]
    assert [(s.outcome, s.rescored) for s in scores] == [("wrong_args", True)]
    assert transcript.outcome == "wrong_args"
    assert any("2 * 3" in m.why for m in scores[0].mismatches)


async def test_an_unchanged_run_rescores_to_the_same_files(workdir: Path) -> None:
    run = await pattern_run(workdir)
    results_before = run.results_file.read_bytes()
    summary_before = json.loads(run.summary_file.read_text())

    result = await rescore_run(run.path)

    assert (result.outcome_changes, result.case_changes, result.rows_changed) == ([], [], 0)
    assert run.results_file.read_bytes() == results_before
    assert not (run.path / BACKUP_FILE).exists()
    summary_after = json.loads(run.summary_file.read_text())
    assert summary_before.pop("rescored_at") is None
    assert summary_after.pop("rescored_at") is not None
    assert summary_after == summary_before  # start, end, environment, commit: the run's


async def test_a_changed_prompt_is_refused_and_nothing_is_written(workdir: Path) -> None:
    run = await pattern_run(workdir)
    files = {p.name: p.read_bytes() for p in run.path.iterdir()}
    write_cases(workdir / "cases.yaml", edited("todo-complete", prompt="mark todo 1 as done"))

    with pytest.raises(RescoreRefusedError, match="'todo-complete': its prompt changed"):
        await rescore_run(run.path)
    assert {p.name: p.read_bytes() for p in run.path.iterdir()} == files


async def test_a_case_gone_from_the_files_is_refused(workdir: Path) -> None:
    run = await pattern_run(workdir)
    write_cases(workdir / "cases.yaml", [c for c in CASES if c["id"] != "abstain-hi"])
    with pytest.raises(RescoreRefusedError, match="'abstain-hi' is in the run but not"):
        await rescore_run(run.path)


async def test_perturbed_variants_are_rescored_with_their_source(workdir: Path) -> None:
    run = await pattern_run(workdir, perturbations=("casing",))
    before = outcomes(run)
    variants = [key for key in before if key.startswith("calc-add") and key != "calc-add/pattern"]
    assert variants  # the casing variant of calc-add ran
    assert all(before[key] == "correct" for key in ["calc-add/pattern", *variants])
    wrong = {"steps": [{"tool": "todo_store", "input": {"action": "list"}}]}
    write_cases(workdir / "cases.yaml", edited("calc-add", expected=wrong))

    result = await rescore_run(run.path)

    after = outcomes(run)
    assert {k for k in before if before[k] != after[k]} == {"calc-add/pattern", *variants}
    assert all(after[key] == "wrong_tool" for key in ["calc-add/pattern", *variants])
    rows = [r for r in read_rows(run.results_file) if r["perturbation"] is not None]
    assert {r["source_case"] for r in rows} <= {c["id"] for c in CASES}
    assert result.summary.planners["pattern"].n == len(CASES)  # the originals only


async def test_a_plan_accepted_only_now_is_executed_then(workdir: Path) -> None:
    # The scripted planner answers "delete todo -1" with id -1, a plan the todo tool
    # refuses. The case first expects id 1, so the plan is invalid and never executed.
    minus_one = Plan(steps=[PlanStep(tool="todo_store", input={"action": "delete", "id": -1})])
    plans = {c["prompt"]: GOLD_PLANS[c["id"]] for c in CASES}
    plans["delete todo -1"] = minus_one
    expects_one = {
        "steps": [{"tool": "todo_store", "input": {"action": "delete", "id": 1}}],
        "outcome": {"id": 1, "title": "buy milk", "completed": False},
    }
    write_cases(workdir / "cases.yaml", edited("adv-negative-id", expected=expects_one))
    config = EvalConfig(
        planners=("pattern",),
        case_paths=(workdir / "cases.yaml",),
        gates_path=workdir / "gates.yaml",
    )
    planner = ScriptedPlanner(plans=plans)
    run, _ = await run_new(
        config,
        offline_settings(),
        workdir / "run",
        open_planner_for=opener_of({"pattern": planner}),
    )
    [row] = [r for r in read_rows(run.results_file) if r["case_id"] == "adv-negative-id"]
    assert (row["outcome"], row["run_status"], row["valid_plan"]) == ("invalid_plan", None, False)

    # Now the case expects the refused plan and a clean failure: it is executed and scored.
    write_cases(workdir / "cases.yaml", CASES)
    await rescore_run(run.path)
    [row] = [r for r in read_rows(run.results_file) if r["case_id"] == "adv-negative-id"]
    assert (row["outcome"], row["run_status"], row["valid_plan"]) == ("correct", "failed", True)
    assert planner.calls == 1 + len(CASES)  # its warm-up and its trials; re-scoring: nothing

    # And back: the plan is refused again, and loses its run as a fresh trial would.
    write_cases(workdir / "cases.yaml", edited("adv-negative-id", expected=expects_one))
    await rescore_run(run.path)
    [row] = [r for r in read_rows(run.results_file) if r["case_id"] == "adv-negative-id"]
    assert (row["outcome"], row["run_status"], row["execute_ms"]) == ("invalid_plan", None, 0.0)
    assert row["error"].startswith("InvalidPlanError")


def rescore_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["rescore", *args])
    return result.exit_code, result.stdout, result.stderr


def eval_cli() -> RunDir:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--planners",
            "pattern",
            "--cases",
            "cases.yaml",
            "--gates",
            "pass.yaml",
            "--out",
            "run",
        ],
    )
    assert result.exit_code == 0, result.stderr
    return RunDir(Path("run"))


def test_cli_lists_changed_outcomes_and_exits_1_on_a_failing_gate(workdir: Path) -> None:
    run = eval_cli()
    wrong = {"steps": [{"tool": "calculator", "input": {"expression": "2 * 3"}}], "outcome": 6}
    write_cases(workdir / "cases.yaml", edited("calc-add", expected=wrong))

    code, out, err = rescore_cli("run", "--gates", "gates.yaml")

    assert code == 1, err
    assert out.strip() == "run"
    assert "case calc-add: expected changed" in err
    assert "1 trials changed outcome class" in err
    changed = [line for line in err.splitlines() if "calc-add" in line and "->" in line]
    assert len(changed) == 1
    assert "correct" in changed[0]
    assert "wrong_args" in changed[0]
    assert any(line.startswith("FAIL pattern plan_accuracy") for line in err.splitlines())
    assert (run.path / "report.html").is_file()
    markdown = (run.path / "summary.md").read_text()
    assert "❌" in markdown


def test_cli_refuses_a_changed_prompt_with_exit_2_in_one_line(workdir: Path) -> None:
    eval_cli()
    write_cases(workdir / "cases.yaml", edited("calc-add", prompt="calculate 3 + 3"))
    code, out, err = rescore_cli("run")
    assert code == 2
    assert out == ""
    assert err.strip().startswith("error: case 'calc-add': its prompt changed")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_refuses_what_is_not_a_finished_run(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    code, _, err = rescore_cli("empty")
    assert code == 2
    assert "not a run directory" in err


def tear_last_row(run: RunDir) -> tuple[int, bytes]:
    """Cut the last row in half, as a run killed while writing it leaves it."""
    data = run.results_file.read_bytes()
    rows = data.splitlines(keepends=True)
    torn = data[: len(data) - len(rows[-1]) // 2]
    run.results_file.write_bytes(torn)
    return len(rows), torn


def test_cli_refuses_a_torn_last_line_naming_it_and_pointing_to_resume(workdir: Path) -> None:
    run = eval_cli()
    line, torn = tear_last_row(run)

    code, out, err = rescore_cli("run")

    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"error: {run.results_file}: line {line} is torn (the run was killed while writing "
        "it): finish the run with `crane-bench eval --resume run`, then re-score it"
    ]
    assert run.results_file.read_bytes() == torn  # nothing written: the trial can run again
    resumed = CliRunner().invoke(app, ["eval", "--resume", "run"])
    assert resumed.exit_code == 0, resumed.stderr
    assert len(read_rows(run.results_file)) == line
    assert rescore_cli("run")[0] == 0


def test_cli_refuses_a_run_missing_trials_pointing_to_resume(workdir: Path) -> None:
    run = eval_cli()
    rows = run.results_file.read_text().splitlines(keepends=True)
    run.results_file.write_text("".join(rows[:-2]))  # two rows lost, no torn line

    code, out, err = rescore_cli("run")

    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"error: run: 2 of its {len(rows)} trials are missing: finish the run with "
        "`crane-bench eval --resume run`, then re-score it"
    ]


async def test_temporary_files_of_a_killed_rescoring_are_removed_by_the_next(
    workdir: Path,
) -> None:
    run = await pattern_run(workdir)
    # What write_atomically leaves beside its target when the process is killed mid-write.
    left = [
        run.path / ".transcripts.jsonl.46dc9f6d0c20.tmp",
        run.path / ".transcripts.pre-rescore.jsonl.0123456789ab.tmp",
        run.path / ".results.jsonl.a1b2c3d4e5f6.tmp",
    ]
    for path in left:
        path.write_bytes(b'{"half": "a line')
    kept = [run.path / "notes.tmp", run.path / ".transcripts.jsonl.not-hex.tmp"]
    for path in kept:
        path.write_text("mine")

    result = await rescore_run(run.path, gates_path=workdir / "pass.yaml")

    assert sorted(result.removed_temps) == sorted(left)
    assert not any(path.exists() for path in left)
    assert all(path.exists() for path in kept)
