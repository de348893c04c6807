"""`crane-bench show RUN_DIR CASE_ID`: a trial's transcript in the terminal; mistakes exit 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.run_config import EvalConfig
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep
from tests.evals.eval_helpers import (
    CASES,
    GOLD_PLANS,
    ScriptedPlanner,
    isolated_workdir,
    offline_settings,
    opener_of,
    run_new,
)

MARKUP = "[bold red]not markup[/] <script>alert(1)</script>"


class Chatty(ScriptedPlanner):
    """The gold plans, with a raw output full of rich markup and HTML."""

    async def plan(self, prompt: str) -> PlanResult:
        result = await super().plan(prompt)
        meta = PlanMeta(planner=self.name, raw_output=MARKUP)
        return PlanResult(plan=result.plan if prompt != "hi" else Plan(steps=[]), meta=meta)


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolated_workdir(tmp_path, monkeypatch)
    wrong = {c["prompt"]: GOLD_PLANS[c["id"]] for c in CASES}
    wrong["calculate 2 + 2"] = Plan(
        steps=[PlanStep(tool="calculator", input={"expression": "2+3"})]
    )
    planners = {"a": Chatty("a"), "b": ScriptedPlanner("b", wrong)}
    cfg = EvalConfig.model_validate(
        {
            "planners": ("a=pattern", "b=pattern"),
            "case_paths": (tmp_path / "cases.yaml",),
            "use_cache": False,
        }
    )
    asyncio.run(
        run_new(cfg, offline_settings(), tmp_path / "run", open_planner_for=opener_of(planners))
    )
    return tmp_path / "run"


def show(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["show", *args], env={"COLUMNS": "120"})
    return result.exit_code, result.stdout, result.stderr


def test_a_transcript_prints_plan_steps_and_score(run_dir: Path) -> None:
    code, out, err = show(str(run_dir), "calc-add", "--planner", "a")
    assert (code, err) == (0, "")
    assert "calc-add · planner a · repeat 0 · correct" in out
    assert 'plan: calculator(expression="2+2")' in out
    assert 'step 0 calculator(expression="2+2") → completed: 4' in out
    assert "score: correct" in out
    assert MARKUP in out  # model output is text, never rich markup


def test_the_score_explains_a_mismatch(run_dir: Path) -> None:
    code, out, _ = show(str(run_dir), "calc-add", "-p", "b")
    assert code == 0
    assert "score: wrong_args · right tools, an input that does not match" in out
    assert "step 1 input.expression" in out
    assert 'expression "2+3" = 5, expected "2+2" = 4' in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calc-add"], "ran with planners a, b: pick one with --planner"),
        (["no-such-case"], "no transcript of case 'no-such-case'"),
        (["calc-add", "--planner", "zzz"], "no transcript of case 'calc-add' by planner 'zzz'"),
        (["calc-add", "-p", "a", "--repeat", "3"], "in repeat 3"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(run_dir: Path, args: list[str], message: str) -> None:
    code, _, err = show(str(run_dir), *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_a_directory_without_a_run_or_transcripts_is_exit_2(run_dir: Path, tmp_path: Path) -> None:
    code, _, err = show(str(tmp_path / "nowhere"), "calc-add")
    assert code == 2
    assert "not an eval run directory" in err
    (run_dir / "transcripts.jsonl").unlink()
    code, _, err = show(str(run_dir), "calc-add")
    assert code == 2
    assert "no transcripts.jsonl" in err
