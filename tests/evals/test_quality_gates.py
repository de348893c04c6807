"""The quality gates as tests: every planner over the whole gold suite, every gate checked.

The pattern, llm and hybrid planners run once over all of `evals/cases` with the real
local model (SmolLM2-135M on llama.cpp), as `make eval` runs them, and each check of
`evals/gates.yaml` is one test. Latency checks stay in `crane-bench eval`: tests never
judge wall-clock time. So a gate that `make eval` would fail fails `make test` too.

Two environment variables let the meta-test below run this module in a subprocess
without running the suite again: `CRANE_BENCH_GOLD_RUN` (a run directory whose
summary.json to judge) and `CRANE_BENCH_GATES` (another gates file).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crane_bench.evals.cases import load_cases
from crane_bench.evals.gate_config import CheckSpec, GatesConfig, MetricRef, load_gates
from crane_bench.evals.gates import evaluate_gates
from crane_bench.evals.run_config import DEFAULT_CASES, DEFAULT_GATES, EvalConfig, build_spec
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.runtime.local_llm import LLMEndpoint
from crane_bench.runtime.settings import PlannerName, Settings
from tests.eval_timing import GOLD_EVAL_SECONDS

pytestmark = pytest.mark.evaluation

ROOT = Path(__file__).resolve().parents[2]
GOLD_RUN_ENV = "CRANE_BENCH_GOLD_RUN"
GATES_ENV = "CRANE_BENCH_GATES"
GATES_FILE = Path(os.environ.get(GATES_ENV) or DEFAULT_GATES)
PLANNERS: tuple[PlannerName, ...] = ("pattern", "llm", "hybrid")


def _judged_here(spec: CheckSpec) -> bool:
    # Latency gates stay in `crane-bench eval`: tests never assert wall-clock times.
    return not spec.metric.startswith(("latency_ms", "model_latency_ms"))


def _check_id(spec: CheckSpec) -> str:
    threshold = spec.threshold
    shown = threshold.planner if isinstance(threshold, MetricRef) else f"{threshold:g}"
    return spec.name or f"{spec.planner} {spec.metric} {spec.op} {shown}"


def _robustness(spec: CheckSpec) -> str | None:
    """The perturbation a check is about (`robustness.<name>.<field>`), else None."""
    parts = spec.metric.split(".")
    return parts[1] if parts[0] == "robustness" and len(parts) > 2 else None


ALL_CHECKS = [spec for spec in load_gates(GATES_FILE).checks if _judged_here(spec)]
CHECKS = [spec for spec in ALL_CHECKS if _robustness(spec) is None]
ROBUSTNESS_CHECKS = [spec for spec in ALL_CHECKS if _robustness(spec) is not None]


def _settings(endpoint: LLMEndpoint) -> Settings:
    # The defaults `make eval` uses, with two differences. The session's local server is
    # reached by URL, so the run asks it what it is (llama-server: the decomposed planner,
    # as many trials at once as it has slots), as for `crane-bench llm serve`. And a model call may
    # take 60 s, not 20, so that a busy machine makes the run slower rather than different.
    return Settings(
        _env_file=None,
        openai_base_url=endpoint.base_url,
        llm_model=endpoint.model,
        llm_timeout_s=60,
    )


def _run_gold_suite(endpoint: LLMEndpoint, root: Path) -> Path:
    settings = _settings(endpoint)
    config = EvalConfig(
        planners=PLANNERS,
        case_paths=(DEFAULT_CASES,),
        use_cache=False,
        case_timeout_s=300,
        gates_path=GATES_FILE,
    )
    run = RunDir.create(root / "gold")
    spec = build_spec(config, settings)
    summary = asyncio.run(run_eval(config, settings, run, spec))
    measured = summary.latency_measurement
    assert measured is not None
    # llama-server decodes several trials together; llama-cpp-python one at a time.
    scheduling = "serialised" if endpoint.server == "llama-cpp-python" else "concurrent"
    assert (measured.server, measured.scheduling, measured.llm_mode) == (
        endpoint.server, scheduling, "decomposed",
    )  # fmt: skip
    return run.path


@pytest.fixture(scope="module")
def gold_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run directory of the three planners over the gold suite (made once)."""
    given = os.environ.get(GOLD_RUN_ENV)
    if given:
        return Path(given)
    endpoint: LLMEndpoint = request.getfixturevalue("local_llm_endpoint")
    began = time.perf_counter()
    path = _run_gold_suite(endpoint, tmp_path_factory.mktemp("gold"))
    request.config.stash[GOLD_EVAL_SECONDS] = time.perf_counter() - began
    return path


@pytest.fixture(scope="module")
def gold_summary(gold_run: Path) -> EvalSummary:
    return EvalSummary.model_validate_json(RunDir.existing(gold_run).summary_file.read_bytes())


@pytest.mark.llm
@pytest.mark.integration
@pytest.mark.timeout(1200)  # the first test also runs the module's gold evaluation
def test_the_gold_run_covers_every_planner_and_case(gold_summary: EvalSummary) -> None:
    cases = len(load_cases([DEFAULT_CASES]))
    assert gold_summary.trials == gold_summary.expected_trials == cases * len(PLANNERS)
    assert sorted(gold_summary.planners) == sorted(PLANNERS)
    assert gold_summary.planners["pattern"].outcomes["planner_error"] == 0


@pytest.mark.llm
@pytest.mark.integration
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("spec", CHECKS, ids=_check_id)
def test_gate(gold_summary: EvalSummary, spec: CheckSpec) -> None:
    report = evaluate_gates(gold_summary.planners, GatesConfig(checks=[spec]))
    assert report.checks
    for check in report.checks:
        assert not check.skipped, check.message
        assert check.passed, check.message


def test_every_gate_is_judged_by_one_of_the_tests() -> None:
    assert len(CHECKS) + len(ROBUSTNESS_CHECKS) == len(ALL_CHECKS)


def test_every_planner_has_gates_beyond_latency() -> None:
    gated = {spec.planner for spec in CHECKS}
    assert set(PLANNERS) <= gated or "*" in gated


def _run_this_module(gold_run: Path, gates: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, GOLD_RUN_ENV: str(gold_run), GATES_ENV: str(gates)}
    command = [sys.executable, "-m", "pytest", __file__, "-k", "test_gate", "-q"]
    command += ["-p", "no:cacheprovider"]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def perturbed_summary(tmp_path_factory: pytest.TempPathFactory) -> EvalSummary:
    """The rules over the gold suite and its variants, for the robustness gates."""
    planners = tuple(sorted({spec.planner for spec in ROBUSTNESS_CHECKS}))
    assert set(planners) <= {"pattern"}, "robustness gates on model planners need a model run"
    names = tuple(sorted({name for spec in ROBUSTNESS_CHECKS if (name := _robustness(spec))}))
    settings = Settings(_env_file=None)
    config = EvalConfig(
        planners=planners,
        case_paths=(DEFAULT_CASES,),
        perturbations=names,
        use_cache=False,
        gates_path=GATES_FILE,
    )
    run = RunDir.create(tmp_path_factory.mktemp("perturbed") / "run")
    return asyncio.run(run_eval(config, settings, run, build_spec(config, settings)))


@pytest.mark.parametrize("spec", ROBUSTNESS_CHECKS, ids=_check_id)
def test_robustness_gate(perturbed_summary: EvalSummary, spec: CheckSpec) -> None:
    report = evaluate_gates(perturbed_summary.planners, GatesConfig(checks=[spec]))
    assert report.checks
    for check in report.checks:
        assert not check.skipped, check.message
        assert check.passed, check.message


@pytest.mark.llm
@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_a_failing_llm_or_hybrid_gate_fails_the_test_run(gold_run: Path, tmp_path: Path) -> None:
    # The same run judged twice in a subprocess: by the real gates (passes), then with one
    # impossible check each for llm and hybrid added (those two fail, pytest exits 1).
    passing = _run_this_module(gold_run, DEFAULT_GATES)
    assert passing.returncode == 0, passing.stdout[-2000:]
    data = yaml.safe_load(DEFAULT_GATES.read_text(encoding="utf-8"))
    data["checks"] += [
        {"name": "impossible llm", "planner": "llm", "metric": "plan_accuracy", "op": ">",
         "threshold": 1.0},
        {"name": "impossible hybrid", "planner": "hybrid", "metric": "tool_accuracy", "op": ">",
         "threshold": 1.0},
    ]  # fmt: skip
    gates = tmp_path / "gates.yaml"
    gates.write_text(yaml.safe_dump(data), encoding="utf-8")
    failing = _run_this_module(gold_run, gates)
    assert failing.returncode == 1, failing.stdout[-2000:]
    assert "2 failed" in failing.stdout
    assert "impossible llm" in failing.stdout
    assert "impossible hybrid" in failing.stdout
