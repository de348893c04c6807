"""One eval run comparing planner specs by label, against a fake OpenAI-compatible server."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from crane_bench.cli.eval_view import EvalProgress, print_summary
from crane_bench.evals.run_config import EvalConfig, config_for_resume
from crane_bench.evals.run_dir import Recovered, RunDir
from crane_bench.evals.runner import run_eval
from tests.evals.eval_helpers import CASES, FakeEndpoint, offline_settings, read_rows, run_new

LLM_FIRST, PATTERN_FIRST = "hybrid[strategy=llm-first]", "hybrid[strategy=pattern-first]"
LABELS = ("pattern", LLM_FIRST, PATTERN_FIRST)
GATES = f"""
checks:
  - {{planner: "{LLM_FIRST}", metric: plan_accuracy, op: ">=", threshold: {{planner: pattern}}}}
  - {{planner: "{PATTERN_FIRST}", metric: n, op: ">=", threshold: {len(CASES)}}}
  - {{planner: hybrid, metric: n, op: ">=", threshold: 1}}
"""


def _settings() -> object:
    return offline_settings(openai_base_url="http://127.0.0.1:9/v1", llm_server="vllm")


def _config(tmp_path: Path, planners: tuple[str, ...] = LABELS, **values: object) -> EvalConfig:
    cases = tmp_path / "cases.yaml"
    cases.write_text(json.dumps(CASES), encoding="utf-8")
    gates = tmp_path / "gates.yaml"
    gates.write_text(GATES, encoding="utf-8")
    return EvalConfig.model_validate(
        {
            "planners": planners,
            "case_paths": (cases,),
            "gates_path": gates,
            "cache_dir": tmp_path / "cache",
            **values,
        }
    )


async def test_three_specs_give_three_labelled_rows_comparisons_and_gates(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    config = _config(tmp_path, use_cache=False)
    run, summary = await run_new(
        config, _settings(), tmp_path / "run", http_transport=endpoint.transport
    )
    rows = read_rows(run.results_file)
    assert {row["planner"] for row in rows} == set(LABELS)
    assert len(rows) == len(CASES) * 3
    assert set(summary.planners) == set(LABELS)
    pairs = {(c.planner_a, c.planner_b) for c in summary.comparisons if c.metric == "plan_correct"}
    assert pairs == {
        ("hybrid[strategy=llm-first]", "hybrid[strategy=pattern-first]"),
        ("hybrid[strategy=llm-first]", "pattern"),
        ("hybrid[strategy=pattern-first]", "pattern"),
    }
    by_name = {check.name: check.status for check in summary.gates.checks}
    assert by_name[f"{LLM_FIRST} plan_accuracy >= pattern plan_accuracy"] == "pass"
    assert by_name[f"{PATTERN_FIRST} n >= {len(CASES)}"] == "pass"
    assert [status for name, status in by_name.items() if name.startswith("hybrid n")] == ["skip"]
    # One endpoint for both hybrids: llm-first asked the model for every case.
    assert len(endpoint.requests) >= len(CASES)
    recorded = {r.label: r for r in run.read_spec().args.planner_specs}
    assert recorded[LLM_FIRST].params == {"strategy": "llm-first"}
    assert recorded[LLM_FIRST].base_url == "http://127.0.0.1:9/v1"
    assert recorded["pattern"].model is None
    assert set(summary.environment.endpoints) == {LLM_FIRST, PATTERN_FIRST}
    assert summary.latency_measurement is not None
    assert f"Model for {LLM_FIRST}, {PATTERN_FIRST}: vllm server" in (
        summary.latency_measurement.description
    )


async def test_labels_never_share_a_cached_answer(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    first = _config(tmp_path, planners=("a=llm",))
    await run_new(first, _settings(), tmp_path / "one", http_transport=endpoint.transport)
    asked = len(endpoint.requests)
    assert asked == len(CASES)
    _run, again = await run_new(
        first, _settings(), tmp_path / "two", http_transport=endpoint.transport
    )
    assert len(endpoint.requests) == asked  # same label: from the cache
    assert again.cached_trials == len(CASES)
    other = _config(tmp_path, planners=("b=llm",))
    await run_new(other, _settings(), tmp_path / "three", http_transport=endpoint.transport)
    assert len(endpoint.requests) == 2 * asked  # same requests, new label: asked again


async def test_a_run_of_specs_resumes_by_label(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    config = _config(tmp_path, use_cache=False)
    run, _ = await run_new(config, _settings(), tmp_path / "run", http_transport=endpoint.transport)
    lines = run.results_file.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["planner"] != PATTERN_FIRST]
    run.results_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
    spec = RunDir.existing(run.path).read_spec()
    resumed = config_for_resume(spec, use_cache=False, cache_dir=tmp_path / "cache")
    assert resumed.labels == LABELS
    before = len(endpoint.requests)
    summary = await run_eval(
        resumed, _settings(), run, spec, resume=True, http_transport=endpoint.transport
    )
    assert summary.trials == len(CASES) * 3
    rows = read_rows(run.results_file)
    assert sum(row["planner"] == PATTERN_FIRST for row in rows) == len(CASES)
    assert len(endpoint.requests) - before <= len(CASES)  # only the missing label ran


async def test_the_terminal_summary_shows_labels_with_brackets(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    config = _config(tmp_path, use_cache=False)
    _run, summary = await run_new(
        config, _settings(), tmp_path / "run", http_transport=endpoint.transport
    )
    console = Console(record=True, width=200, file=io.StringIO())
    with EvalProgress(console) as progress:
        progress.start({label: len(CASES) for label in LABELS}, Recovered())
    print_summary(console, summary)
    shown = console.export_text()
    assert f" {LLM_FIRST} " in shown  # the table
    assert f"{LLM_FIRST} vs {PATTERN_FIRST} (plan_correct)" in shown
    assert f"Model for {LLM_FIRST}, {PATTERN_FIRST}:" in " ".join(shown.split())  # wrapped
    assert f"{PATTERN_FIRST} " in shown.splitlines()[2]  # the progress bars
