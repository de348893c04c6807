"""The `gold` scenario for real: the service, locust, the eval's scorer, the quality gates.

The pattern planner does not depend on load, so its accuracy under load must be its eval
accuracy, case by case. The hybrid against a model server that serves one request at a
time (as llama.cpp does) times out as users are added: fallbacks by timeout appear, the
accuracy moves, and the quality gate fails the run with exit 1, naming the check.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.metrics import read_summary_metrics
from crane_bench.evals.results import TrialResult
from crane_bench.load import SUMMARY_FILE, ServiceProcess, read_summary
from crane_bench.load.gold import read_quality_rows, read_trials
from tests.load.slow_llama import slow_llama
from tests.load.test_cli_integration import strays

pytestmark = pytest.mark.integration

# Cases the rules get right, so that a hybrid falling back to them gets them right too;
# the one-slot fake model answers "no tool" for every clause.
SIMPLE_CASES = [
    {
        "id": f"calc-{a}-{b}",
        "prompt": f"calculate {a} + {b}",
        "category": "calculator",
        "expected": {
            "steps": [{"tool": "calculator", "input": {"expression": f"{a} + {b}"}}],
            "outcome": a + b,
        },
    }
    for a, b in ((2, 3), (10, 5), (7, 8), (40, 2))
] + [
    {
        "id": "todo-done-2",
        "prompt": "mark task 2 done",
        "category": "todo",
        "setup": {"todos": ["buy milk", "call mom"]},
        "expected": {"steps": [{"tool": "todo_store", "input": {"action": "complete", "id": 2}}]},
    },
    {
        "id": "todo-add",
        "prompt": "add water the plants to my todo list",
        "category": "todo",
        "expected": {
            "steps": [
                {"tool": "todo_store", "input": {"action": "add", "title": "water the plants"}}
            ]
        },
    },
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "PLANNER", "SERVICE_PLANNERS"):
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def pattern_eval(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pattern planner's eval of the whole gold suite."""
    out = tmp_path_factory.mktemp("eval") / "run"
    code, _stdout, stderr = cli("eval", "--planners", "pattern", "--out", str(out))
    assert code in (0, 1), stderr  # the gates decide 0 or 1; either way the rows are there
    return out


def verdicts(rows: list[TrialResult]) -> dict[str, set[tuple[str, bool, bool]]]:
    found: dict[str, set[tuple[str, bool, bool]]] = {}
    for row in rows:
        found.setdefault(row.case_id, set()).add(
            (row.outcome.value, row.plan_correct, row.end_to_end_correct)
        )
    return found


def test_pattern_accuracy_under_load_is_its_eval_accuracy_case_by_case(
    pattern_eval: Path, tmp_path: Path
) -> None:
    out = tmp_path / "load"
    code, stdout, stderr = cli(
        "load", "--scenario", "gold", "--planner", "pattern", "--shape", "step",
        "--steps", "2,4", "--spawn-rate", "10", "--run-time", "8s", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    assert stdout.strip() == str(out)
    summary = read_summary(out / SUMMARY_FILE)
    assert not strays(out, summary.host)
    evaluated = verdicts(read_trials(pattern_eval / "results.jsonl"))
    loaded_rows = read_quality_rows(out / "quality.jsonl")
    loaded = verdicts(list(loaded_rows))
    unloaded = verdicts(read_trials(out / "unloaded.jsonl"))
    assert set(loaded) == set(evaluated)  # every case was drawn (a deck deals them all)
    assert unloaded == evaluated  # one pass through the service, no load: the eval's verdicts
    assert loaded == evaluated  # each run of each case under load: the same verdict again
    assert {r.step for r in loaded_rows} == {0, 1}
    assert {r.users for r in loaded_rows} == {2, 4}
    assert summary.quality is not None
    pattern = summary.quality.planners["pattern"]
    assert summary.quality.unloaded_source == "pass"
    assert [(s.step, s.users) for s in pattern.by_step] == [(0, 2), (1, 4)]
    assert pattern.n == len(loaded_rows) == sum(s.n for s in pattern.by_step)
    assert pattern.model_call_rate == 0.0
    eval_accuracy = read_summary_metrics(pattern_eval / "summary.json")["pattern"].value(
        "plan_accuracy"
    )
    for comparison in pattern.comparisons:
        assert comparison.test == "mcnemar"
        assert comparison.n_pairs == len(evaluated)
        assert (comparison.only_loaded, comparison.only_unloaded) == (0, 0)
        assert comparison.direction == "no_difference"
    plan = next(c for c in pattern.comparisons if c.metric == "plan_accuracy")
    assert plan.loaded == pytest.approx(eval_accuracy)
    assert plan.unloaded == pytest.approx(eval_accuracy)
    names = {c.name: c.status for c in summary.gates.checks}
    assert names["plan_accuracy_vs_unloaded[pattern]"] == "pass"
    assert names["pattern timeout_fallback_rate <= 0.05"] == "pass"
    assert "accuracy under load: pattern" in stderr
    report = (out / "load_report.html").read_text()
    assert 'id="quality"' in report
    assert 'id="chart-quality-steps"' in report


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(json.dumps(SIMPLE_CASES), encoding="utf-8")
    return path


def test_against_a_running_service_compared_with_an_eval_run(
    pattern_eval: Path, tmp_path: Path
) -> None:
    cases = tmp_path / "cases.yaml"
    gold = json.loads(json.dumps(SIMPLE_CASES))  # not in the eval run: compared by proportion
    cases.write_text(json.dumps(gold), encoding="utf-8")
    serve = [sys.executable, "-m", "crane_bench.cli.app", "serve", "--planner", "rules=pattern"]
    with ServiceProcess(lambda port: [*serve, "--port", str(port)], tmp_path / "serve.log") as svc:
        out = tmp_path / "load"
        code, _stdout, stderr = cli(
            "load", "--host", svc.base_url, "--scenario", "gold", "--planner", "rules",
            "--cases", str(cases), "--unloaded", str(pattern_eval), "--users", "2",
            "--run-time", "3s", "--out", str(out),
        )  # fmt: skip
    assert code == 2, stderr  # the eval ran `pattern`, not `rules`: one line, before the load
    assert "no rows of planner 'rules'" in stderr
    assert len(stderr.strip().splitlines()) == 1
    with ServiceProcess(
        lambda port: [*serve[:-1], "pattern", "--port", str(port)], tmp_path / "serve2.log"
    ) as svc:
        code, _stdout, stderr = cli(
            "load", "--host", svc.base_url, "--scenario", "gold", "--planner", "pattern",
            "--cases", str(cases), "--unloaded", str(pattern_eval), "--users", "2",
            "--run-time", "3s", "--out", str(out),
        )  # fmt: skip
    assert code == 0, stderr
    summary = read_summary(out / SUMMARY_FILE)
    assert summary.service_cpu is None
    assert summary.quality is not None
    assert summary.quality.unloaded_source == str(pattern_eval)
    [plan, _end_to_end] = summary.quality.planners["pattern"].comparisons
    assert plan.test == "two_proportion"  # these cases are not in the suite the eval ran
    assert plan.loaded == 1.0
    assert "no case in common" in plan.verdict


@pytest.fixture
def slow_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with slow_llama(service_s=0.15) as url:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("LLM_SERVER", "llama-cpp-python")  # takes a grammar: decomposed
        monkeypatch.setenv("LLM_MODEL", "fake-model")
        monkeypatch.setenv("LLM_TIMEOUT_S", "1.0")
        monkeypatch.setenv("LLM_MAX_RETRIES", "0")
        monkeypatch.setenv("RUN_TIMEOUT_S", "10")
        yield url


def test_a_slow_model_under_load_makes_the_hybrid_fall_back_and_fails_the_quality_gate(
    slow_model: str, case_file: Path, tmp_path: Path
) -> None:
    label = "hybrid[strategy=llm-first]"
    out = tmp_path / "load"
    code, _stdout, stderr = cli(
        "load", "--scenario", "gold", "--planner", label, "--cases", str(case_file),
        "--shape", "step", "--steps", "1,8", "--spawn-rate", "20", "--run-time", "12s",
        "--out", str(out),
    )  # fmt: skip
    assert code == 1, stderr
    failing = [line for line in stderr.splitlines() if line.startswith("FAIL ")]
    assert f"FAIL {label} timeout_fallback_rate " in "\n".join(failing)
    assert f"accuracy under load: {label}" in stderr  # the label's brackets are not markup
    summary = read_summary(out / SUMMARY_FILE)
    assert not strays(out, summary.host)
    assert summary.quality is not None
    hybrid = summary.quality.planners[label]
    assert hybrid.unloaded is not None
    # Unloaded, the model answers every clause in time: no timeout, and its "no tool"
    # answers are used (llm-first), so the action cases are wrong.
    assert hybrid.unloaded.fallback_reasons.get("timeout", 0) == 0
    assert hybrid.unloaded.model_call_rate == 1.0
    assert hybrid.unloaded.plan_accuracy == 0.0
    one, eight = hybrid.by_step
    assert (one.users, eight.users) == (1, 8)
    # Eight users queue at the one-slot model: calls time out, the rules answer instead.
    assert eight.fallback_reasons.get("timeout", 0) > 0
    assert eight.fallback_reasons.get("timeout", 0) / eight.n > one.fallback_reasons.get(
        "timeout", 0
    ) / max(one.n, 1)
    assert eight.plan_accuracy is not None
    assert eight.plan_accuracy > hybrid.unloaded.plan_accuracy  # the accuracy moved
    assert hybrid.model_call_rate == 1.0  # the model was still asked every time
    name = f"{label} timeout_fallback_rate <= 0.05"
    check = next(c for c in summary.gates.checks if c.name == name)
    assert check.failed
    assert summary.locust_exit_code == 1
