"""A planner for service subprocesses that must hold runs in flight: the rules, after a nap.

`nap SECONDS: PROMPT` sleeps, then plans PROMPT with the pattern planner; any other prompt
is planned at once. Served by spec: `sleepy=tests.runtime.service.slow_planner:SleepyPattern`.
"""

from __future__ import annotations

import asyncio

from crane_bench.runtime.models import PlanResult
from crane_bench.runtime.planners.pattern import PatternPlanner


class SleepyPattern:
    """The pattern planner, after the nap a prompt asks for."""

    name = "sleepy"

    def __init__(self) -> None:
        self.inner = PatternPlanner()

    async def plan(self, prompt: str) -> PlanResult:
        head, sep, rest = prompt.partition(":")
        if sep and head.startswith("nap "):
            await asyncio.sleep(float(head.removeprefix("nap ")))
            prompt = rest.strip()
        return await self.inner.plan(prompt)
