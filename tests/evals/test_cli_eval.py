"""`crane-bench eval` through typer's CliRunner: exit codes, outputs, and usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from tests.evals.eval_helpers import CASES, isolated_workdir

PASSING = "checks:\n  - {planner: pattern, metric: n, op: '>=', threshold: 1}\n"
IMPOSSIBLE = (
    "checks:\n"
    "  - {planner: pattern, metric: n, op: '>=', threshold: 1}\n"
    "  - {planner: pattern, metric: plan_accuracy, op: '>', threshold: 1.0}\n"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolated_workdir(tmp_path, monkeypatch)
    (tmp_path / "pass.yaml").write_text(PASSING)
    (tmp_path / "fail.yaml").write_text(IMPOSSIBLE)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def pattern_run(*extra: str) -> tuple[int, str, str]:
    return invoke("--planners", "pattern", "--cases", "cases.yaml", *extra)


def test_all_gates_pass_exit_0_and_stdout_is_the_run_dir(workdir: Path) -> None:
    code, out, err = pattern_run("--gates", "pass.yaml", "--out", "run")
    assert code == 0, err
    assert out.strip() == "run"
    assert "gates passed" in err
    summary = json.loads((workdir / "run" / "summary.json").read_text())
    assert summary["gates"]["passed"] is True
    assert summary["planners"]["pattern"]["n"] == len(CASES)


def test_default_run_dir_is_under_runs(workdir: Path) -> None:
    code, out, err = pattern_run("--gates", "pass.yaml")
    assert code == 0, err
    run = Path(out.strip())
    assert run.parent == Path("runs")
    assert (workdir / run / "results.jsonl").is_file()


def test_a_failing_gate_exits_1_and_prints_the_check(workdir: Path) -> None:
    code, _, err = pattern_run("--gates", "fail.yaml", "--out", "run")
    assert code == 1
    failing = [line for line in err.splitlines() if line.startswith("FAIL ")]
    assert len(failing) == 1
    assert failing[0].startswith("FAIL pattern plan_accuracy ")
    assert failing[0].endswith(" <= 1.000")


def test_baseline_adds_the_regression_gate(workdir: Path) -> None:
    assert pattern_run("--gates", "pass.yaml", "--out", "base")[0] == 0
    code, _, err = pattern_run(
        "--gates", "pass.yaml", "--out", "new", "--baseline", "base/summary.json"
    )
    assert code == 0, err
    checks = json.loads((workdir / "new" / "summary.json").read_text())["gates"]["checks"]
    assert any(c["name"].startswith("regression pattern") and c["status"] != "skip" for c in checks)


def test_resume_of_a_finished_run_only_summarises(workdir: Path) -> None:
    assert pattern_run("--gates", "pass.yaml", "--out", "run")[0] == 0
    code, out, err = invoke("--resume", "run", "--gates", "pass.yaml")
    assert code == 0, err
    assert out.strip() == "run"
    assert len((workdir / "run" / "results.jsonl").read_text().splitlines()) == len(CASES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--planners", "pattern,gpt9"], "unknown planner 'gpt9'"),
        (["--planners", "pattern", "--cases", "missing.yaml"], "no such file"),
        (["--planners", "pattern", "--cases", "bad.yaml"], "bad.yaml"),
        (["--planners", "pattern", "--cases", "empty"], "no cases in empty"),
        (
            ["--planners", "pattern", "--cases", "cases.yaml", "--gates", "bad-gates.yaml"],
            "bad-gates",
        ),
        (["--planners", "pattern", "--gates", "missing-gates.yaml"], "missing-gates"),
        (["--planners", "pattern", "--baseline", "nowhere/summary.json"], "nowhere"),
        (["--resume", "not-a-run"], "not a run directory"),
        (["--resume", "run", "--out", "other"], "cannot be used together"),
        (["--resume", "run", "--planners", "llm"], "--resume takes"),
        (["--planners", "pattern", "--concurrency", "0"], "concurrency"),
    ],
    ids=[
        "bad-planner",
        "missing-cases",
        "malformed-case",
        "no-cases",
        "malformed-gates",
        "missing-gates",
        "missing-baseline",
        "resume-not-a-run",
        "out-and-resume",
        "resume-with-planners",
        "bad-concurrency",
    ],
)
def test_usage_and_config_errors_exit_2_on_one_line(
    workdir: Path, args: list[str], message: str
) -> None:
    (workdir / "bad.yaml").write_text("- id: x\n  prompt: hi\n")
    (workdir / "bad-gates.yaml").write_text(
        "checks:\n  - {planner: pattern, metric: nope, op: '>=', threshold: 1}\n"
    )
    (workdir / "run").mkdir()
    (workdir / "empty").mkdir()
    code, out, err = invoke(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""
    assert not (workdir / "runs").exists()  # nothing was started


def test_resume_works_after_the_checkout_moves(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Absolute paths, as the default case directory and gates file are.
    cases, gates = str(workdir / "cases.yaml"), str(workdir / "pass.yaml")
    code, _, err = invoke(
        "--planners", "pattern", "--cases", cases, "--gates", gates, "--out", "runs/r"
    )
    assert code == 0, err
    spec = json.loads((workdir / "runs" / "r" / "spec.json").read_text())
    assert spec["args"]["case_files"][0]["path"] == "../../cases.yaml"
    assert spec["args"]["gates"] == "../../pass.yaml"
    # Interrupted after the first row: no summary, the other trials still to run.
    results = workdir / "runs" / "r" / "results.jsonl"
    results.write_text(results.read_text().splitlines()[0] + "\n")
    (workdir / "runs" / "r" / "summary.json").unlink()
    moved = tmp_path_factory.mktemp("moved") / "checkout"
    workdir.rename(moved)
    monkeypatch.chdir(moved)
    code, _, err = invoke("--resume", "runs/r")
    assert code == 0, err
    assert len((moved / "runs" / "r" / "results.jsonl").read_text().splitlines()) == len(CASES)


def test_every_results_row_carries_the_format_version(workdir: Path) -> None:
    assert pattern_run("--gates", "pass.yaml", "--out", "run")[0] == 0
    rows = (workdir / "run" / "results.jsonl").read_text().splitlines()
    assert {json.loads(row)["version"] for row in rows} == {1}


def test_repeats_print_pass_k_and_the_flaky_cases_and_how_latency_was_measured(
    workdir: Path,
) -> None:
    code, _out, err = pattern_run("--gates", "pass.yaml", "--repeats", "3")
    assert code == 0, err
    # The rules plan one of the four cases wrong, every time: deterministic, never flaky.
    assert "pattern: 3 repeats of 4 cases; pass^3 0.750, pass@3 0.750; 0 flaky case(s)" in err
    assert "Each planner's trials ran as one block" in " ".join(err.split())


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (("--stop-when-decided", "--repeats", "2"), "needs one trial per case"),
        (("--stop-when-decided", "--perturb", "casing"), "drop --perturb"),
        (("--stop-when-decided", "--baseline", "pass.yaml"), "drop --baseline"),
        (("--seed", "3"), "--seed orders the cases of --stop-when-decided"),
    ],
)
def test_what_stop_when_decided_cannot_do_is_one_line(
    workdir: Path, extra: tuple[str, ...], said: str
) -> None:
    code, out, err = pattern_run("--gates", "pass.yaml", *extra)
    assert code == 2
    assert out == ""
    assert said in err
    assert len(err.strip().splitlines()) == 1


def test_stop_when_decided_says_where_it_stopped(workdir: Path) -> None:
    code, _, err = pattern_run("--gates", "pass.yaml", "--stop-when-decided", "--out", "run")
    assert code == 0, err
    assert "Stopped when decided (seed 0" in err
    assert "not sequential" in err  # `n >= 1` needs every case
    summary = json.loads((workdir / "run" / "summary.json").read_text())
    assert summary["sequential"]["cases_run"] == {"pattern": len(CASES)}
    code, _, err = invoke("--resume", "run", "--stop-when-decided")
    assert code == 2
    assert "stopping rule" in err
