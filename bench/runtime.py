"""Runtime benchmarks: pattern planner microseconds per plan, orchestrator overhead per step."""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel, ConfigDict, JsonValue
from rich.console import Console

from bench.figures import Figure, median_us, print_figures
from crane_bench.runtime.models import Plan, PlanStep
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools.base import ToolRegistry

# Prompts of the shapes the gold suite has; the suite itself is read by the evals bench.
PROMPTS = [
    "calculate (10 + 5) * 2",
    "what is 15% of 80",
    "how much is twelve times four",
    "add buy milk to my list",
    "remind me to call the dentist tomorrow",
    "show my todos",
    "mark 2 done",
    "delete task 3",
    "rename 1 to pay rent",
    "calculate 2 + 2 and then add todo to call mom",
    "what's the capital of France",
    "tell me a joke",
]


class NoopInput(BaseModel):
    """Input of the no-op tool."""

    model_config = ConfigDict(extra="forbid")


class NoopTool:
    """A tool that does nothing, so what is measured is the orchestrator alone."""

    name = "noop"
    description = "does nothing"
    input_model = NoopInput

    async def run(self, tool_input: NoopInput) -> JsonValue:
        """Return at once."""
        return None


def _pattern_figures() -> list[Figure]:
    planner = PatternPlanner()
    per_prompt = sorted(
        median_us(lambda p=p: planner.match(p), number=300)
        for p in PROMPTS  # type: ignore[misc]
    )
    median = per_prompt[len(per_prompt) // 2]
    return [
        Figure(
            "pattern planner, median prompt", median, "us/plan", "<= 30", f"{len(PROMPTS)} prompts"
        ),
        Figure("pattern planner, slowest prompt", per_prompt[-1], "us/plan"),
    ]


async def _orchestrator_overhead_us(steps: int, runs: int) -> float:
    tools = ToolRegistry([NoopTool()])
    plan = Plan(steps=[PlanStep(tool="noop", input={})] * steps)
    orchestrator = Orchestrator()
    began = time.perf_counter()
    for _ in range(runs):
        await orchestrator.execute(plan, tools)
    return (time.perf_counter() - began) / (runs * steps) * 1e6


def main(console: Console) -> None:
    """Measure and print the runtime figures."""
    overhead = asyncio.run(_orchestrator_overhead_us(steps=4, runs=2000))
    figures = [
        *_pattern_figures(),
        Figure(
            "orchestrator overhead per step",
            overhead,
            "us/step",
            "<= 30",
            "no-op tool, 4-step plans",
        ),
    ]
    print_figures(console, "runtime", figures)
