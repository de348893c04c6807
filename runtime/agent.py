"""One agent run: plan the prompt, then execute the plan on fresh tools.

A planner failure is a run outcome, not an exception: the run is recorded as failed
with the planner's metadata (tokens, raw output) so nothing of what it cost is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from crane_bench.runtime.errors import PlannerError
from crane_bench.runtime.models import PlanMeta, RunRecord, RunStatus, StepError
from crane_bench.runtime.orchestrator import Orchestrator, new_run_id, now
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.tools.base import ToolRegistry

ToolsFactory = Callable[[], ToolRegistry]


class Agent:
    """A planner and an orchestrator, with a factory for each run's tools.

    Args:
        planner: Turns prompts into plans.
        orchestrator: Executes plans.
        tools: Builds the tools of one run (a fresh todo store per run by default).
    """

    def __init__(self, planner: Planner, orchestrator: Orchestrator, tools: ToolsFactory) -> None:
        self.planner = planner
        self.orchestrator = orchestrator
        self.tools = tools

    async def run(
        self, prompt: str, *, run_id: str | None = None, tools: ToolRegistry | None = None
    ) -> RunRecord:
        """Plan and execute `prompt`; always returns a finished run record."""
        run_id = run_id or new_run_id()
        created = now()
        began = time.perf_counter()
        try:
            result = await self.planner.plan(prompt)
        except PlannerError as exc:
            meta = exc.meta or PlanMeta(planner=self.planner.name)
            return RunRecord(
                run_id=run_id,
                prompt=prompt,
                status=RunStatus.FAILED,
                planner=meta,
                error=StepError(kind="planner_error", type=type(exc).__name__, message=str(exc)),
                created_at=created,
                started_at=created,
                ended_at=now(),
                plan_ms=(time.perf_counter() - began) * 1000,
                duration_ms=(time.perf_counter() - began) * 1000,
            )
        plan_ms = (time.perf_counter() - began) * 1000
        run = await self.orchestrator.execute(
            result.plan, tools if tools is not None else self.tools(), run_id=run_id, prompt=prompt
        )
        return run.model_copy(
            update={
                "planner": result.meta,
                "created_at": created,
                "started_at": created,
                "plan_ms": plan_ms,
                "duration_ms": plan_ms + run.execute_ms,
            }
        )
