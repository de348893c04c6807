"""The `Planner` protocol: a prompt in, a plan with its metadata out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from runtime.models import PlanResult


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
