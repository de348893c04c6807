"""Small cases, scripted planners and a fake model endpoint for the runner's tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from crane_bench.evals.cases import Case
from crane_bench.evals.run_config import EvalConfig, build_spec
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.settings import PlannerName, Settings
from tests.runtime.planners.fake_openai import chat_completion

CASES: list[dict[str, Any]] = [
    {
        "id": "calc-add",
        "prompt": "calculate 2 + 2",
        "category": "calculator",
        "expected": {
            "steps": [{"tool": "calculator", "input": {"expression": "2+2"}}],
            "outcome": 4,
        },
    },
    {
        "id": "todo-complete",
        "prompt": "mark todo 2 as done",
        "category": "todo",
        "setup": {"todos": ["buy milk", "call mom"]},
        "expected": {
            "steps": [{"tool": "todo_store", "input": {"action": "complete", "id": 2}}],
            "outcome": {"id": 2, "title": "call mom", "completed": True},
        },
    },
    {
        "id": "abstain-hi",
        "prompt": "hi",
        "category": "abstain",
        "expected": {"steps": []},
    },
    {
        "id": "adv-negative-id",
        "prompt": "delete todo -1",
        "category": "adversarial",
        "tags": ["input-validation"],
        "setup": {"todos": ["buy milk"]},
        "expected": {
            "steps": [{"tool": "todo_store", "input": {"action": "delete", "id": -1}}],
            "fails": True,
        },
    },
]
GOLD_PLANS = {
    case["id"]: Plan(steps=[PlanStep(**step) for step in case["expected"]["steps"]])
    for case in CASES
}


def write_cases(path: Path, cases: list[dict[str, Any]] | None = None) -> Path:
    """Write a case file and return its path."""
    path.write_text(yaml.safe_dump(cases if cases is not None else CASES), encoding="utf-8")
    return path


def isolated_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in `tmp_path` with no endpoint configured and the gold-like cases written."""
    go_offline(monkeypatch, tmp_path)
    write_cases(tmp_path / "cases.yaml")
    return tmp_path


def case(data: dict[str, Any]) -> Case:
    """A validated case."""
    return Case.model_validate(data)


def go_offline(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """Run in `workdir` with no model endpoint or model name from the environment."""
    monkeypatch.chdir(workdir)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


def offline_settings(**values: Any) -> Settings:
    """Settings that ignore `.env` and the process environment's file."""
    return Settings(_env_file=None, **values)


class ScriptedPlanner:
    """Answers each prompt with the gold plan of the case that has it (or a given plan)."""

    def __init__(
        self,
        name: str = "pattern",
        plans: dict[str, Plan] | None = None,
        *,
        on_plan: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        by_prompt = {c["prompt"]: GOLD_PLANS[c["id"]] for c in CASES}
        self.plans = plans if plans is not None else by_prompt
        self.on_plan = on_plan
        self.calls = 0

    async def plan(self, prompt: str) -> PlanResult:
        self.calls += 1
        if self.on_plan is not None:
            self.on_plan(self.calls)
        await asyncio.sleep(0)
        return PlanResult(plan=self.plans[prompt], meta=PlanMeta(planner=self.name))


def opener_of(
    planners: Mapping[str, Planner],
) -> Callable[[PlannerName], AbstractAsyncContextManager[Planner]]:
    """A planner opener that hands out the given planners."""

    @asynccontextmanager
    async def opener(name: PlannerName) -> AsyncIterator[Planner]:
        yield planners[name]

    return opener


def pattern_opener() -> Callable[[PlannerName], AbstractAsyncContextManager[Planner]]:
    """The real pattern planner under every name asked for."""

    @asynccontextmanager
    async def opener(name: PlannerName) -> AsyncIterator[Planner]:
        yield PatternPlanner()

    return opener


async def run_new(
    config: EvalConfig, settings: Settings, out: Path, **kwargs: Any
) -> tuple[RunDir, EvalSummary]:
    """Start a fresh run in `out` and wait for it."""
    run = RunDir.create(out)
    summary = await run_eval(config, settings, run, build_spec(config, settings), **kwargs)
    return run, summary


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a results file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class FakeEndpoint:
    """An OpenAI-compatible endpoint that answers each prompt with its gold plan as JSON.

    A prompt that is no case's (the run's warm-up, `evals.warmup`) gets an empty plan and
    is kept apart in `warmups`, so that `requests` counts the trials' requests.
    """

    def __init__(self, *, status: int = 200, owned_by: str = "system") -> None:
        self.requests: list[httpx.Request] = []
        """The completion requests of the cases, in order (`GET /models` is kept apart)."""
        self.warmups: list[httpx.Request] = []
        """The requests of prompts that are no case's: the warm-ups."""
        self.probes: list[httpx.Request] = []
        self.status = status
        self.owned_by = owned_by
        self.by_prompt = {c["prompt"]: c["expected"]["steps"] for c in CASES}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):
            self.probes.append(request)
            model = {"id": "fake-model", "object": "model", "owned_by": self.owned_by}
            return httpx.Response(200, json={"object": "list", "data": [model]})
        body = json.loads(request.content)
        prompt = body["messages"][-1]["content"]
        (self.requests if prompt in self.by_prompt else self.warmups).append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "busy", "type": "x"}})
        plan = json.dumps({"steps": self.by_prompt.get(prompt, [])})
        return httpx.Response(200, json=chat_completion(plan, model=body["model"]))

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.handler)
