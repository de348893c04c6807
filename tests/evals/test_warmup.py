"""The warm-up: one untimed plan per planner before its trials, recorded, in no metric."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crane_bench.evals.cases import load_cases
from crane_bench.evals.run_config import DEFAULT_CASES, EvalConfig
from crane_bench.evals.warmup import PROMPT, warm_up
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult
from tests.evals.eval_helpers import (
    CASES,
    GOLD_PLANS,
    ScriptedPlanner,
    offline_settings,
    opener_of,
    read_rows,
    run_new,
    write_cases,
)


class Recording(ScriptedPlanner):
    """The scripted planner, answering the warm-up prompt too, and keeping every prompt."""

    def __init__(self, name: str = "pattern") -> None:
        by_prompt = {c["prompt"]: GOLD_PLANS[c["id"]] for c in CASES}
        super().__init__(name, {**by_prompt, PROMPT: Plan(steps=[])})
        self.prompts: list[str] = []

    async def plan(self, prompt: str) -> PlanResult:
        self.prompts.append(prompt)
        return await super().plan(prompt)


def _config(cases: Path, **values: object) -> EvalConfig:
    return EvalConfig.model_validate(
        {"planners": ("pattern",), "case_paths": (cases,), "transcripts": False, **values}
    )


def test_the_warm_up_prompt_is_no_gold_case() -> None:
    gold = load_cases([DEFAULT_CASES])  # every case file of the gold suite
    assert len(gold) > 100
    assert PROMPT.casefold().strip() not in {case.prompt.casefold().strip() for case in gold}


async def test_each_planner_plans_the_warm_up_first_and_it_is_no_trial(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planner = Recording()
    run, summary = await run_new(
        _config(cases),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=opener_of({"pattern": planner}),
    )
    assert planner.prompts[0] == PROMPT  # before any case
    assert planner.prompts.count(PROMPT) == 1
    rows = read_rows(run.results_file)
    assert sorted(row["case_id"] for row in rows) == sorted(c["id"] for c in CASES)
    assert summary.trials == len(CASES)  # the warm-up is no trial: no row, no score
    assert summary.planners["pattern"].value("plan_accuracy") == 1.0
    measured = summary.latency_measurement
    assert measured is not None
    [warm] = measured.warmup
    assert (warm.planner, warm.prompt, warm.error) == ("pattern", PROMPT, None)
    assert warm.latency_ms >= 0
    assert "exclude that one-off cold start" in measured.description
    assert PROMPT in measured.description


async def test_a_failed_warm_up_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    planner = ScriptedPlanner()  # knows only the cases' prompts: the warm-up raises
    _, summary = await run_new(
        _config(cases),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=opener_of({"pattern": planner}),
    )
    assert summary.latency_measurement is not None
    [warm] = summary.latency_measurement.warmup
    assert warm.error is not None
    assert warm.error.startswith("KeyError")
    assert summary.trials == len(CASES)
    assert summary.planners["pattern"].value("plan_accuracy") == 1.0


def test_a_warm_up_that_hangs_is_cut_by_the_case_timeout() -> None:
    class Hanging:
        async def plan(self, prompt: str) -> PlanResult:
            await asyncio.Event().wait()
            return PlanResult(plan=Plan(steps=[]), meta=PlanMeta(planner="x"))

    [warm] = asyncio.run(warm_up({"x": Hanging()}, timeout_s=0.01))
    assert warm.error == "timed out after 0.01 s"
