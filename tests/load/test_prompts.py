"""The prompt pool: varied, reproducible, and right about which runs fail."""

from __future__ import annotations

import random

import pytest

from crane_bench.load.prompts import KINDS, TEMPLATES, PromptPool, fill
from crane_bench.runtime.agent import Agent
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.planners.factory import open_planner
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools


def test_the_same_seed_draws_the_same_prompts() -> None:
    a, b, other = PromptPool("s/0/1"), PromptPool("s/0/1"), PromptPool("s/0/2")
    drawn = [a.draw("todo") for _ in range(50)]
    assert drawn == [b.draw("todo") for _ in range(50)]
    assert drawn != [other.draw("todo") for _ in range(50)]


def test_draws_vary() -> None:
    pool = PromptPool(1)
    for kind in KINDS:
        texts = {pool.draw(kind).text for _ in range(200)}
        assert len(texts) > 50, kind


def test_failing_share_controls_the_prompts_meant_to_fail() -> None:
    never = PromptPool(3, failing_share=0.0)
    assert all(never.draw("calculator").expect == "completed" for _ in range(300))
    always = PromptPool(3, failing_share=1.0)
    assert all(always.draw("todo").expect == "failed" for _ in range(50))
    # multi_step has no failing template: it never fails.
    assert all(always.draw("multi_step").expect == "completed" for _ in range(50))
    with pytest.raises(ValueError, match="failing_share"):
        PromptPool(3, failing_share=1.5)


async def test_every_template_ends_as_it_expects_under_the_pattern_planner() -> None:
    """Checked in process here; the load test itself only ever uses HTTP."""
    settings = Settings(planner="pattern")
    rng = random.Random(11)
    async with open_planner("pattern", settings) as planner:
        agent = Agent(
            planner, Orchestrator(OrchestratorConfig.from_settings(settings)), default_tools
        )
        for template in TEMPLATES:
            for _ in range(5):
                prompt = fill(template, rng)
                run = await agent.run(prompt.text)
                assert run.status.value == prompt.expect, prompt.text
                assert run.steps, prompt.text  # the planner did not abstain
