"""Planners of a user's own, loaded by `module:attr` in the spec tests."""

from __future__ import annotations

from crane_bench.runtime.models import Plan, PlanMeta, PlanResult


class NothingPlanner:
    """Calls no tool, whatever the prompt: a planner defined outside the runtime."""

    name = "nothing"

    async def plan(self, prompt: str) -> PlanResult:
        return PlanResult(plan=Plan(steps=[]), meta=PlanMeta(planner=self.name))


INSTANCE = NothingPlanner()


def build() -> NothingPlanner:
    """A factory, called with no arguments."""
    return NothingPlanner()


def build_wrong() -> object:
    """A factory that returns something that is not a planner."""
    return "not a planner"


NOT_A_PLANNER = 42
