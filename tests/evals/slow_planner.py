"""A planner for subprocess runs that must be killed mid-run: the rules, a little slowly."""

from __future__ import annotations

import asyncio

from crane_bench.runtime.models import PlanResult
from crane_bench.runtime.planners.pattern import PatternPlanner


class SlowPattern:
    """The pattern planner, 20 ms per plan, so a run of the gold suite lasts seconds."""

    name = "slow-pattern"

    def __init__(self) -> None:
        self.inner = PatternPlanner()

    async def plan(self, prompt: str) -> PlanResult:
        await asyncio.sleep(0.02)
        return await self.inner.plan(prompt)
