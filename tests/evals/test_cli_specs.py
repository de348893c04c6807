"""`crane-bench eval --planners` with specs: user planners, labels, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from tests.evals.eval_helpers import CASES, isolated_workdir

USER = "tests.runtime.planners.user_planners"
GATES = "checks:\n  - {planner: mine, metric: n, op: '>=', threshold: 1}\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolated_workdir(tmp_path, monkeypatch)
    (tmp_path / "gates.yaml").write_text(GATES)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_user_planner_by_import_path_runs_under_its_label(workdir: Path) -> None:
    code, _, err = invoke(
        "--planners",
        f"pattern,mine={USER}:build,crane_bench.runtime.planners.pattern:PatternPlanner",
        "--cases", "cases.yaml", "--gates", "gates.yaml", "--out", "run",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((workdir / "run" / "summary.json").read_text())
    labels = {"pattern", "mine", "crane_bench.runtime.planners.pattern:PatternPlanner"}
    assert set(summary["planners"]) == labels
    assert len(summary["comparisons"]) == 3 * 2  # every pair, two metrics
    assert summary["planners"]["mine"]["n"] == len(CASES)
    specs = json.loads((workdir / "run" / "spec.json").read_text())["args"]["planner_specs"]
    assert {s["label"]: s["target"] for s in specs}["mine"] == f"{USER}:build"
    assert f"mine={USER}:build" in (workdir / "run" / "report.html").read_text()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pattern,gpt9", "unknown planner 'gpt9'"),
        ("llm[modle=x]", "unknown parameter 'modle'"),
        ("hybrid[strategy=fastest]", "strategy: Input should be"),
        ("no_such_module_xyz:build", "cannot import 'no_such_module_xyz'"),
        (f"{USER}:NOT_A_PLANNER", "is not a planner"),
        ("llm[model=sk-0123456789abcdef]", "looks like a credential"),
    ],
    ids=["unknown-planner", "unknown-param", "bad-value", "unloadable", "not-planner", "key"],
)
def test_a_bad_spec_is_one_line_and_exit_2(workdir: Path, spec: str, message: str) -> None:
    code, out, err = invoke("--planners", spec, "--cases", "cases.yaml")
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "sk-0123456789abcdef" not in err
    assert out == ""
    assert not (workdir / "runs").exists()  # nothing was started


def test_a_factory_that_exits_is_one_line_and_exit_2(workdir: Path) -> None:
    code, out, err = invoke(
        "--planners", "pattern,x=sys:exit", "--cases", "cases.yaml", "--out", "run"
    )
    assert code == 2
    assert err.strip() == "error: --planners: 'x=sys:exit': calling sys:exit failed: SystemExit"
    assert len(err.strip().splitlines()) == 1
    assert out == ""
    assert not (workdir / "run" / "results.jsonl").exists()  # no trial ran


def test_a_factory_that_returns_no_planner_fails_before_any_trial(workdir: Path) -> None:
    code, out, err = invoke(
        "--planners", f"pattern,{USER}:build_wrong", "--cases", "cases.yaml", "--out", "run"
    )
    assert code == 2
    assert "is not a planner" in err
    assert "Traceback" not in err
    assert out == ""
    results = workdir / "run" / "results.jsonl"
    assert not results.exists() or results.read_text() == ""


def test_help_shows_a_quoted_example() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "200"})
    assert "'pattern,hybrid[strategy=llm-first]" in result.stdout
