"""The runner: one trial end to end, a whole run, its summary, and resuming a killed run."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from crane_bench.evals.cases import Case
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_config import (
    EvalConfig,
    build_spec,
    config_for_resume,
    default_case_timeout,
)
from crane_bench.evals.run_dir import EvalSummary, RunDir, recover_results
from crane_bench.evals.runner import run_eval
from crane_bench.evals.trial import case_tools, run_trial
from crane_bench.runtime.models import Plan, PlanResult
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.specs import parse_specs
from crane_bench.runtime.tools import TodoTool
from tests.evals.eval_helpers import (
    CASES,
    ScriptedPlanner,
    case,
    offline_settings,
    opener_of,
    pattern_opener,
    read_rows,
    run_new,
    write_cases,
)

CALC, TODO, ABSTAIN, NEGATIVE_ID = (case(data) for data in CASES)
FULL = len(CASES) * 2  # two planners


class SlowPlanner:
    name = "slow"

    async def plan(self, prompt: str) -> PlanResult:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")


class BrokenPlanner:
    name = "broken"

    async def plan(self, prompt: str) -> PlanResult:
        raise ZeroDivisionError("a bug in the planner")


async def trial(planner: Planner, the_case: Case = CALC, timeout_s: float = 5.0) -> TrialResult:
    return await run_trial(
        the_case,
        planner,
        planner_name="p",
        repeat=0,
        orchestrator=Orchestrator(),
        timeout_s=timeout_s,
    )


def test_case_tools_hold_the_setup_todos_with_ids_from_one() -> None:
    tool = case_tools(TODO)["todo_store"]
    assert isinstance(tool, TodoTool)
    store = tool.store
    assert [(t.id, t.title) for t in store.list()] == [(1, "buy milk"), (2, "call mom")]


async def test_trial_runs_the_plan_on_the_setup_todos() -> None:
    row = await run_trial(
        TODO,
        ScriptedPlanner(),
        planner_name="pattern",
        repeat=3,
        orchestrator=Orchestrator(),
        timeout_s=5,
    )
    assert row.outcome is OutcomeClass.CORRECT
    assert row.run_output == {"id": 2, "title": "call mom", "completed": True}
    assert row.repeat == 3


async def test_trial_executes_an_expected_plan_that_a_tool_refuses() -> None:
    row = await trial(ScriptedPlanner(), NEGATIVE_ID)
    assert row.outcome is OutcomeClass.CORRECT
    assert row.run_status == "failed"
    assert row.valid_plan


async def test_trial_timeout_is_a_row() -> None:
    row = await trial(SlowPlanner(), timeout_s=0.05)
    assert row.outcome is OutcomeClass.TIMEOUT


async def test_a_planner_bug_is_a_row_not_a_crash() -> None:
    row = await trial(BrokenPlanner())
    assert row.outcome is OutcomeClass.PLANNER_ERROR
    assert row.error is not None
    assert "ZeroDivisionError" in row.error


async def test_an_invalid_plan_is_not_executed() -> None:
    bad = Plan.model_validate({"steps": [{"tool": "shell", "input": {"cmd": "ls"}}]})
    row = await trial(ScriptedPlanner(plans={CALC.prompt: bad}))
    assert row.outcome is OutcomeClass.INVALID_PLAN
    assert row.run_status is None


def config(cases: Path, **values: object) -> EvalConfig:
    return EvalConfig.model_validate(
        {"planners": ("pattern", "hybrid"), "case_paths": (cases,), "concurrency": 3, **values}
    )


async def test_a_run_writes_every_row_and_the_summary(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    run, summary = await run_new(
        config(cases, planners=("pattern",)),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=pattern_opener(),
    )
    rows = read_rows(run.results_file)
    assert sorted(r["case_id"] for r in rows) == sorted(c["id"] for c in CASES)
    data = json.loads(run.summary_file.read_text())
    assert data["version"] == 2
    assert data["spec"]["name"] == "crane-bench eval"
    assert data["spec"]["args"]["case_files"][0]["sha256"]
    metrics = data["planners"]["pattern"]
    assert {"n", "cases", "metrics", "outcomes", "by_category"} <= set(metrics)
    for key in (
        "tool_accuracy",
        "step_accuracy",
        "args_accuracy",
        "plan_accuracy",
        "outcome_accuracy",
        "valid_plan_rate",
        "fallback_rate",
    ):
        assert metrics["metrics"][key]["kind"] == "rate", key
        assert len(metrics["metrics"][key]["ci"]) == 2, key
    for key in ("tokens_per_plan", "cost_per_plan_usd"):
        assert metrics["metrics"][key]["kind"] == "mean", key
    assert set(metrics["metrics"]["latency_ms"]) >= {"p50", "p95", "p99"}
    assert set(metrics["by_category"]) == {"abstain", "adversarial", "calculator", "todo"}
    assert {"passed", "checks"} <= set(data["gates"])
    assert "comparisons" in data
    assert "git_sha" in data
    assert data["environment"]["packages"]["crane-bench"]
    assert summary.trials == summary.expected_trials == len(CASES)


async def test_two_planners_are_compared_on_the_same_cases(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planners = {"pattern": ScriptedPlanner(), "hybrid": ScriptedPlanner("hybrid")}
    _, summary = await run_new(
        config(cases), offline_settings(), tmp_path / "run", open_planner_for=opener_of(planners)
    )
    assert {c.planner_a for c in summary.comparisons} == {"hybrid"}
    assert all(c.n_pairs == len(CASES) for c in summary.comparisons)


def assert_complete(run: RunDir) -> None:
    rows = read_rows(run.results_file)
    keys = Counter((r["planner"], r["case_id"], r["repeat"]) for r in rows)
    assert len(rows) == FULL
    assert max(keys.values()) == 1  # no duplicates
    assert json.loads(run.summary_file.read_text())["planners"]["hybrid"]["n"] == len(CASES)


async def resume(run: RunDir, cases: Path) -> None:
    planners = {"pattern": ScriptedPlanner(), "hybrid": ScriptedPlanner("hybrid")}
    await run_eval(
        config(cases),
        offline_settings(),
        run,
        run.read_spec(),
        resume=True,
        open_planner_for=opener_of(planners),
    )


async def test_resume_after_the_run_was_cancelled(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    cfg, settings = config(cases), offline_settings()
    run = RunDir.create(tmp_path / "run")
    main: list[asyncio.Task[EvalSummary]] = []

    def kill_after_three(calls: int) -> None:
        if calls == 3:
            main[0].cancel()  # what Ctrl-C does to asyncio.run's main task

    planners = {
        "pattern": ScriptedPlanner(on_plan=kill_after_three),
        "hybrid": ScriptedPlanner("hybrid"),
    }
    task = asyncio.create_task(
        run_eval(
            cfg, settings, run, build_spec(cfg, settings), open_planner_for=opener_of(planners)
        )
    )
    main.append(task)
    with pytest.raises(asyncio.CancelledError):
        await task
    kept = read_rows(run.results_file)
    assert 0 < len(kept) < FULL
    assert not run.summary_file.exists()
    await resume(run, cases)
    assert_complete(run)


def test_resume_after_keyboard_interrupt(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    cfg, settings = config(cases, concurrency=1), offline_settings()
    run = RunDir.create(tmp_path / "run")

    def interrupt_on_third_plan(calls: int) -> None:
        if calls == 3:
            raise KeyboardInterrupt

    planners = {
        "pattern": ScriptedPlanner(on_plan=interrupt_on_third_plan),
        "hybrid": ScriptedPlanner("hybrid"),
    }
    coro = run_eval(
        cfg, settings, run, build_spec(cfg, settings), open_planner_for=opener_of(planners)
    )
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(coro)
    assert 0 < len(read_rows(run.results_file)) < FULL
    asyncio.run(resume(run, cases))
    assert_complete(run)


async def test_resume_rewrites_a_torn_last_line(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planners = {"pattern": ScriptedPlanner(), "hybrid": ScriptedPlanner("hybrid")}
    run, _ = await run_new(
        config(cases), offline_settings(), tmp_path / "run", open_planner_for=opener_of(planners)
    )
    text = run.results_file.read_text()
    run.results_file.write_text(text[: len(text) - 40])  # killed mid-write
    recovered = recover_results(run.results_file)
    assert recovered.dropped_line == FULL
    assert len(recovered.done) == FULL - 1
    run.results_file.write_text(text[: len(text) - 40])
    await resume(run, cases)
    assert_complete(run)


async def test_resume_keeps_a_last_row_that_lost_only_its_newline(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planners = {"pattern": ScriptedPlanner(), "hybrid": ScriptedPlanner("hybrid")}
    run, _ = await run_new(
        config(cases), offline_settings(), tmp_path / "run", open_planner_for=opener_of(planners)
    )
    run.results_file.write_text(run.results_file.read_text().rstrip("\n"))
    await resume(run, cases)
    assert_complete(run)


def test_a_torn_line_before_the_last_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"planner": "p", "case_id": "a", "repeat": 0}\n{"pla\n{"planner": "p"}\n')
    with pytest.raises(Exception, match="line 2"):
        recover_results(path)


async def test_resuming_a_finished_run_builds_no_planner(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planners = {"pattern": ScriptedPlanner(), "hybrid": ScriptedPlanner("hybrid")}
    run, _ = await run_new(
        config(cases), offline_settings(), tmp_path / "run", open_planner_for=opener_of(planners)
    )
    await run_eval(
        config(cases),
        offline_settings(),
        run,
        run.read_spec(),
        resume=True,
        open_planner_for=opener_of({}),
    )
    assert_complete(run)


async def test_resume_refuses_changed_case_files(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    run, _ = await run_new(
        config(cases, planners=("pattern",)),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=pattern_opener(),
    )
    write_cases(cases, CASES[:2])
    with pytest.raises(Exception, match="changed since the run started"):
        await run_eval(
            config(cases),
            offline_settings(),
            run,
            run.read_spec(),
            resume=True,
            open_planner_for=pattern_opener(),
        )


async def test_repeats_are_keyed_and_give_pass_at_k(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    run, summary = await run_new(
        config(cases, planners=("pattern",), repeats=3),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=opener_of({"pattern": ScriptedPlanner()}),
    )
    rows = read_rows(run.results_file)
    assert Counter(r["repeat"] for r in rows) == {0: 4, 1: 4, 2: 4}
    metrics = summary.planners["pattern"]
    assert metrics.pass_at_k == {1: 1.0, 2: 1.0, 3: 1.0}
    assert metrics.flaky_cases == []


def test_the_spec_keeps_settings_but_never_secrets_or_url_credentials(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    settings = offline_settings(
        openai_api_key="sk-secret-value-123456",
        openai_base_url="https://user:pw@llm.example.test/v1?api-key=k3y",
    )
    spec = build_spec(config(cases), settings)
    text = spec.model_dump_json()
    for secret in ("sk-secret-value-123456", "user:pw", "k3y"):
        assert secret not in text
    assert spec.args.settings["openai_base_url"] == "https://llm.example.test/v1"
    assert spec.args.settings["openai_api_key_set"] is True
    assert spec.args.settings["llm_timeout_s"] == settings.llm_timeout_s


def test_resume_config_comes_from_the_spec(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    spec = build_spec(config(cases, repeats=3, case_timeout_s=7), offline_settings())
    resumed = config_for_resume(spec, concurrency=1, use_cache=False)
    assert resumed.labels == ("pattern", "hybrid")
    assert resumed.case_paths == (cases,)
    assert (resumed.repeats, resumed.case_timeout_s, resumed.concurrency) == (3, 7, 1)


def test_a_new_run_dir_is_timestamped_and_refuses_an_existing_run(tmp_path: Path) -> None:
    run = RunDir.create(root=tmp_path)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run.path.name)
    assert not run.path.exists()  # made when the spec is written
    run.write_spec(build_spec(config(write_cases(tmp_path / "c.yaml")), offline_settings()))
    with pytest.raises(Exception, match="--resume"):
        RunDir.create(run.path)


def test_the_default_case_timeout_leaves_room_for_the_llm_planners_own_timeout() -> None:
    settings = offline_settings(llm_timeout_s=20, llm_max_retries=2)
    assert default_case_timeout(parse_specs("pattern"), settings) == 60
    # 3 attempts of 20 s, 0.2 + 0.4 s of backoff between them, 15 s to execute the plan
    assert default_case_timeout(parse_specs("pattern,hybrid"), settings) == pytest.approx(75.6)
    explicit = offline_settings(llm_timeout_s=20, llm_plan_timeout_s=90)
    assert default_case_timeout(parse_specs("llm"), explicit) == 105
    assert (
        default_case_timeout(
            parse_specs("llm"), offline_settings(llm_timeout_s=5, llm_max_retries=0)
        )
        == 60
    )
