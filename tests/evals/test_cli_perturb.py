"""`crane-bench eval --perturb`: variants in the run, figures in the summary and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from tests.evals.eval_helpers import go_offline, write_cases

GATES = (
    "checks:\n"
    "  - {planner: pattern, metric: robustness.casing.flip_rate, op: '<=', threshold: 0}\n"
    "  - {planner: pattern, metric: false_action_rate, op: '<=', threshold: 0,"
    " category: out_of_domain}\n"
)
OOD = {
    "id": "ood-capital",
    "prompt": "what's the capital of peru",
    "category": "out_of_domain",
    "expected": {"steps": []},
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    go_offline(monkeypatch, tmp_path)
    write_cases(tmp_path / "cases.yaml")
    write_cases(tmp_path / "ood.yaml", [OOD])
    (tmp_path / "gates.yaml").write_text(GATES)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", "--planners", "pattern", *args])
    return result.exit_code, result.stdout, result.stderr


def test_perturb_all_reports_robustness_everywhere(workdir: Path) -> None:
    code, out, err = invoke(
        "--cases", "cases.yaml", "--cases", "ood.yaml", "--perturb", "all",
        "--gates", "gates.yaml", "--out", "run",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "run"
    summary = json.loads((workdir / "run" / "summary.json").read_text())
    pattern = summary["planners"]["pattern"]
    assert pattern["n"] == 5  # the originals only
    assert pattern["by_category"]["out_of_domain"]["metrics"]["false_action_rate"]["value"] == 0.0
    assert {"casing", "punctuation", "whitespace"} <= set(pattern["robustness"])
    assert summary["spec"]["args"]["perturbations"][0] in pattern["robustness"]
    assert "pattern robustness casing: accuracy" in err
    assert "pattern out_of_domain: false-action rate 0.000" in err
    html = (workdir / "run" / "report.html").read_text()
    assert 'id="chart-robustness-pattern"' in html
    assert "pattern · casing" in html
    assert "false-action rate 0.0%" in html
    assert "**Robustness**" in (workdir / "run" / "summary.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--perturb", "casing,nope"], "unknown perturbation 'nope'; known: casing"),
        (["--resume", "run", "--perturb", "casing"], "--resume takes the planners"),
    ],
)
def test_perturb_mistakes_exit_2_on_one_line(workdir: Path, args: list[str], message: str) -> None:
    (workdir / "run").mkdir()
    result = CliRunner().invoke(app, ["eval", "--cases", "cases.yaml", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
