"""The `Planner` protocol: a prompt in, a plan with its metadata out.

A planner may also record what it does into a trial's `Recorder` (`RecordingPlanner`);
`plan_with` asks it to when it can, and plans without recording otherwise, so a planner
of the user's own (only `plan(prompt)`) works unchanged.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from crane_bench.runtime.models import PlanResult
from crane_bench.runtime.transcript import Recorder


@runtime_checkable
class Planner(Protocol):
    """Turns a prompt into a plan of tool calls.

    A plan of zero steps means no tool applies (abstain); it is a valid answer.
    """

    name: str

    async def plan(self, prompt: str) -> PlanResult:
        """Plan the prompt.

        Raises:
            PlannerError: No plan could be made (model down, timeout, invalid output).
        """
        ...


@runtime_checkable
class RecordingPlanner(Planner, Protocol):
    """A planner that can write its steps and model calls into a trial's recorder."""

    async def plan_recorded(self, prompt: str, recorder: Recorder | None) -> PlanResult:
        """Plan the prompt as `plan` does, adding what it does to `recorder` (if any)."""
        ...


async def plan_with(planner: Planner, prompt: str, recorder: Recorder | None) -> PlanResult:
    """Plan `prompt` with `planner`, recording into `recorder` when both can.

    Raises:
        PlannerError: As `Planner.plan`.
    """
    if recorder is not None and isinstance(planner, RecordingPlanner):
        return await planner.plan_recorded(prompt, recorder)
    return await planner.plan(prompt)
