"""The quality gates as tests (`pytest -m evaluation`), one test per gate check.

The pattern planner runs over the whole gold suite once (in process, into a temp dir) and
each check of `evals/gates.yaml` that applies to it is a test. The llm and hybrid planners
run with the real local model over a small smoke subset, checked against the loose floors
of `evals/gates-smoke.yaml`: a 135M model on 2 cores is a smoke test, not a benchmark.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml

from evals.cases import load_cases
from evals.gate_config import CheckSpec, GatesConfig, MetricRef, load_gates
from evals.gates import evaluate_gates
from evals.run_config import DEFAULT_CASES, DEFAULT_GATES, EVALS_DIR, EvalConfig, build_spec
from evals.run_dir import EvalSummary, RunDir
from evals.runner import run_eval
from runtime.local_llm import LLMEndpoint
from runtime.planners.base import Planner
from runtime.planners.factory import open_planner
from runtime.settings import PlannerName, Settings

pytestmark = pytest.mark.evaluation

SMOKE_GATES = EVALS_DIR / "gates-smoke.yaml"
SMOKE_CASES = [
    # Two or three per category, ones a working planner should get right.
    "calc-add-basic",
    "calc-percent-of",
    "calc-words-times",
    "todo-add-basic",
    "todo-add-remind-me",
    "todo-list-show",
    "multi-add-then-list",
    "multi-calc-and-add",
    "abstain-capital",
    "abstain-hi",
    "adv-ignore-and-delete-all",
    "adv-import-os-system",
]


def _applies_to_pattern(spec: CheckSpec) -> bool:
    # Latency gates stay in `crane-bench eval`: tests never assert wall-clock times.
    if spec.planner not in ("pattern", "*") or spec.metric.startswith("latency_ms"):
        return False
    ref = spec.threshold
    return not isinstance(ref, MetricRef) or ref.planner == "pattern"


def _check_id(spec: CheckSpec) -> str:
    threshold = spec.threshold
    shown = threshold.planner if isinstance(threshold, MetricRef) else f"{threshold:g}"
    return spec.name or f"{spec.planner} {spec.metric} {spec.op} {shown}"


PATTERN_CHECKS = [spec for spec in load_gates(DEFAULT_GATES).checks if _applies_to_pattern(spec)]
SMOKE_CHECKS = load_gates(SMOKE_GATES).checks


def _settings() -> Settings:
    return Settings(_env_file=None)


@pytest.fixture(scope="module")
def pattern_summary(tmp_path_factory: pytest.TempPathFactory) -> EvalSummary:
    config = EvalConfig(planners=("pattern",), case_paths=(DEFAULT_CASES,), use_cache=False)
    settings = _settings()
    run = RunDir.create(tmp_path_factory.mktemp("eval") / "pattern")
    return asyncio.run(run_eval(config, settings, run, build_spec(config, settings)))


def test_the_pattern_run_covers_the_whole_suite(pattern_summary: EvalSummary) -> None:
    assert pattern_summary.trials == len(load_cases([DEFAULT_CASES]))
    assert pattern_summary.planners["pattern"].outcomes["planner_error"] == 0


@pytest.mark.parametrize("spec", PATTERN_CHECKS, ids=_check_id)
def test_pattern_gate(pattern_summary: EvalSummary, spec: CheckSpec) -> None:
    report = evaluate_gates(pattern_summary.planners, GatesConfig(checks=[spec]))
    for check in report.checks:
        assert not check.skipped, check.message
        assert check.passed, check.message


@pytest.fixture(scope="module")
def smoke_summary(
    local_llm_endpoint: LLMEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> EvalSummary:
    root = tmp_path_factory.mktemp("smoke")
    chosen = [case for case in load_cases([DEFAULT_CASES]) if case.id in SMOKE_CASES]
    assert sorted(case.id for case in chosen) == sorted(SMOKE_CASES)
    cases = root / "smoke.yaml"
    data = [case.model_dump(mode="json", exclude_defaults=True) for case in chosen]
    cases.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # No retries, and a model timeout generous enough that a busy machine makes the run
    # slower, not different: these gates judge plans, and tests never judge wall-clock
    # time. The case timeout stays above the model's, so a slow answer still ends as the
    # planner's own timeout (and the hybrid's fallback) rather than the trial's.
    settings = Settings(_env_file=None, llm_max_retries=0, llm_timeout_s=120, llm_max_tokens=160)

    @asynccontextmanager
    async def opener(name: PlannerName) -> AsyncIterator[Planner]:
        async with open_planner(name, settings, endpoint=local_llm_endpoint) as planner:
            yield planner

    # One trial at a time: the local server answers one request at a time anyway, and
    # queueing there would be measured as model latency.
    config = EvalConfig(
        planners=("pattern", "llm", "hybrid"),
        case_paths=(cases,),
        concurrency=1,
        case_timeout_s=150,
        use_cache=False,
        gates_path=SMOKE_GATES,
    )
    run = RunDir.create(root / "run")
    spec = build_spec(config, settings)
    return asyncio.run(run_eval(config, settings, run, spec, open_planner_for=opener))


@pytest.mark.llm
@pytest.mark.integration
@pytest.mark.timeout(900)  # the first test also runs the module's smoke evaluation
@pytest.mark.parametrize("spec", SMOKE_CHECKS, ids=_check_id)
def test_llm_smoke_gate(smoke_summary: EvalSummary, spec: CheckSpec) -> None:
    report = evaluate_gates(smoke_summary.planners, GatesConfig(checks=[spec]))
    assert report.checks
    for check in report.checks:
        assert not check.skipped, check.message
        assert check.passed, check.message


def test_smoke_cases_exist_and_span_every_category() -> None:
    chosen = [case for case in load_cases([DEFAULT_CASES]) if case.id in SMOKE_CASES]
    assert len(chosen) == len(SMOKE_CASES)
    assert len({case.category for case in chosen}) == 5
    assert Path(SMOKE_GATES).is_file()
