"""The metric registry: one declaration drives the summary, the gates and the report columns.

The end-to-end test registers a metric the code base has never heard of, in a registry
of its own (the default one is untouched), and finds it in `summary.json`, in the gates'
verdicts, in the terminal table, in `summary.md` and in the report's planners table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from crane_bench.cli.eval_view import summary_table
from crane_bench.evals.errors import GateConfigError
from crane_bench.evals.figures import RateFigure
from crane_bench.evals.gate_config import load_gates
from crane_bench.evals.metric_registry import DEFAULT_METRICS, Metric, MetricRegistry, metric
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.reports.errors import RunDataError
from crane_bench.reports.eval_report import build_eval_report
from tests.evals.eval_helpers import CASES, offline_settings, pattern_opener, read_rows, run_new
from tests.evals.eval_helpers import write_cases as write_case_file

V1_RUN = Path(__file__).parents[1] / "reports" / "data" / "eval_run"


@metric("rate", label="Ran clean", short="clean", show="brief", description="run completed")
def ran_clean(row: TrialResult) -> bool | None:
    """Of the trials whose plan was executed, the share whose run completed."""
    return None if row.run_status is None else row.run_status == "completed"


EXTENDED = DEFAULT_METRICS.extend(ran_clean)
DIVIDE_BY_ZERO = {
    "id": "calc-div-zero",
    "prompt": "calculate 1 / 0",
    "category": "calculator",
    "expected": {
        "steps": [{"tool": "calculator", "input": {"expression": "1 / 0"}}],
        "fails": True,
    },
}

GATES = """\
checks:
  - planner: pattern
    metric: ran_clean
    op: ">="
    threshold: 0.99
  - planner: pattern
    metric: ran_clean
    op: ">="
    threshold: 0.1
    use: lower_bound
regression:
  tolerances:
    ran_clean: {absolute: 0.05}
"""


def test_extending_makes_a_new_registry_and_leaves_the_default_alone() -> None:
    assert "ran_clean" in EXTENDED
    assert "ran_clean" not in DEFAULT_METRICS
    assert EXTENDED.names[-1] == "ran_clean"
    assert len(EXTENDED) == len(DEFAULT_METRICS) + 1
    with pytest.raises(ValueError, match="registered twice"):
        EXTENDED.extend(ran_clean)


@pytest.mark.parametrize("name", ["Plan", "n", "outcomes", "has space", ""])
def test_a_metric_name_must_be_snake_case_and_free(name: str) -> None:
    with pytest.raises(ValueError, match="lower_snake_case"):
        Metric(name, "rate", lambda row: row.plan_correct, "x")


def test_paths_and_resolution() -> None:
    assert "latency_ms.p95" in DEFAULT_METRICS.paths()
    assert "latency_ms" not in DEFAULT_METRICS.paths()  # a latency is named by its part
    resolved = DEFAULT_METRICS.resolve("latency_ms.p95")
    assert resolved is not None
    assert (resolved[0].name, resolved[1]) == ("latency_ms", "p95")
    assert DEFAULT_METRICS.resolve("plan_accuracy.p95") is None
    assert DEFAULT_METRICS.resolve("nope") is None


def test_an_unregistered_gate_metric_is_a_config_error_listing_the_known(tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text(GATES)
    with pytest.raises(GateConfigError) as caught:
        load_gates(gates)  # the default registry does not know ran_clean
    message = str(caught.value)
    assert "unknown metric 'ran_clean'" in message
    assert "plan_accuracy" in message
    assert "latency_ms.p95" in message
    assert "\n" not in message
    config = load_gates(gates, EXTENDED)
    assert [check.metric for check in config.checks] == ["ran_clean", "ran_clean"]
    # A tolerance without `better` takes the metric's own direction.
    assert config.regression.tolerances["ran_clean"].better == "higher"


def test_a_tolerance_on_a_metric_without_direction_must_say_which_way(tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text("regression:\n  tolerances:\n    fallback_rate: {absolute: 0.1}\n")
    with pytest.raises(GateConfigError, match="fallback_rate: give better"):
        load_gates(gates)


async def test_a_registered_metric_reaches_summary_gates_and_report(tmp_path: Path) -> None:
    cases = write_case_file(tmp_path / "cases.yaml", [*CASES, DIVIDE_BY_ZERO])
    gates = tmp_path / "gates.yaml"
    gates.write_text(GATES)
    config = EvalConfig(planners=("pattern",), case_paths=(cases,), gates_path=gates)
    run, summary = await run_new(
        config,
        offline_settings(),
        tmp_path / "run",
        open_planner_for=pattern_opener(),
        metrics=EXTENDED,
    )

    # The summary: computed from the rows with the metric's own function.
    rows = [TrialResult.model_validate(row) for row in read_rows(run.results_file)]
    executed = [row.run_status == "completed" for row in rows if row.run_status is not None]
    assert 0 < sum(executed) < len(executed)  # dividing by zero fails cleanly
    figure = summary.planners["pattern"].figure("ran_clean")
    assert isinstance(figure, RateFigure)
    assert figure.value == pytest.approx(sum(executed) / len(executed))
    assert figure.n == len(executed)
    on_disk = json.loads(run.summary_file.read_text())["planners"]["pattern"]["metrics"]
    assert on_disk["ran_clean"]["value"] == pytest.approx(figure.value)

    # The gates: the point check fails, the lower-bound check passes.
    messages = [check.message for check in summary.gates.checks]
    assert any(m.startswith("FAIL pattern ran_clean") for m in messages), messages
    assert any(
        m.startswith("PASS pattern ran_clean") and "lower bound of 95% CI" in m for m in messages
    ), messages

    # The terminal table: a brief metric is a column.
    console = Console(width=200, record=True)
    console.print(summary_table(summary, EXTENDED))
    assert "clean" in console.export_text()

    # The report: a column in report.html and summary.md, with the value as a percent.
    files = build_eval_report(run.path, EXTENDED)
    html = files.html.read_text(encoding="utf-8")
    assert ">Ran clean<" in html
    assert f"{figure.value * 100:.1f}%" in html
    markdown = (run.path / "summary.md").read_text(encoding="utf-8")
    header = next(line for line in markdown.splitlines() if line.startswith("| Planner"))
    assert "| Ran clean |" in header
    # Built with the default registry, the report has no such column.
    build_eval_report(run.path)
    assert ">Ran clean<" not in (run.path / "report.html").read_text(encoding="utf-8")


def test_a_version_1_summary_reads_into_todays_shape(tmp_path: Path) -> None:
    data = json.loads((V1_RUN / "summary.json").read_text())
    assert data["version"] == 1
    v1 = data["planners"]["hybrid"]
    summary = EvalSummary.model_validate(data)
    hybrid = summary.planners["hybrid"]
    assert summary.version == 2
    assert hybrid.value("plan_accuracy") == v1["plan_accuracy"]
    assert hybrid.rate("plan_accuracy").ci == tuple(v1["plan_accuracy_ci"])
    assert hybrid.latency().p95 == v1["latency_ms"]["p95"]
    assert hybrid.value("tokens_per_plan") == v1["tokens_per_plan"]
    assert hybrid.figure("total_tokens") is None  # v1 did not record it: undefined, not 0
    category = next(iter(data["planners"]["hybrid"]["by_category"]))
    translated = hybrid.by_category[category].value("plan_accuracy")
    assert translated == v1["by_category"][category]["plan_accuracy"]


def test_a_summary_of_an_unknown_version_is_refused_in_one_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(V1_RUN, run)
    data = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**data, "version": 3}))
    with pytest.raises(RunDataError, match="summary version 3: this crane-bench reads"):
        build_eval_report(run)


def test_registries_are_values(tmp_path: Path) -> None:
    again = MetricRegistry(EXTENDED.metrics)
    assert again == EXTENDED
    assert again.get("ran_clean") is ran_clean


def _row(**values: object) -> TrialResult:
    data: dict[str, object] = {
        "case_id": "c",
        "planner": "hybrid",
        "category": "out_of_domain",
        "outcome": "invalid_plan",
        "tool_correct": False,
        "step_count_correct": False,
        "args_correct": False,
        "plan_correct": False,
        "end_to_end_correct": False,
        "valid_plan": False,
        "expected_abstain": True,
        "abstained": False,
    }
    return TrialResult.model_validate(data | values)


def test_any_step_rate_counts_a_step_of_an_invalid_plan_and_only_prompts_that_need_none() -> None:
    any_step = DEFAULT_METRICS.get("any_step_rate")
    assert any_step is not None
    step = {"steps": [{"tool": "no_such_tool", "input": {}}]}
    assert any_step.value(_row(plan=step)) is True  # invalid, yet it acted
    assert any_step.value(_row(plan={"steps": []})) is False
    assert any_step.value(_row(plan=None, outcome="planner_error")) is False
    assert any_step.value(_row(plan=step, expected_abstain=False)) is None


def test_each_fallback_reason_is_a_rate_of_all_trials() -> None:
    timeout = DEFAULT_METRICS.get("timeout_fallback_rate")
    assert timeout is not None
    assert (timeout.kind, timeout.show) == ("rate", "hidden")
    assert timeout.value(_row(fallback_reason="timeout")) is True
    assert timeout.value(_row(fallback_reason="invalid_json")) is False
    assert timeout.value(_row()) is False  # no fallback: counted, not left out
    assert {"model_error_fallback_rate", "unsupported_step_fallback_rate"} <= set(
        DEFAULT_METRICS.names
    )
