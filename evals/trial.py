"""One trial: plan a case's prompt, validate the plan, execute it on fresh tools, score it.

Every trial ends as a row, whatever goes wrong: a planner error, a bug in a planner, a
timeout. Only cancellation (Ctrl-C, a killed run) escapes, and then no row is written,
so that `--resume` runs the trial again.

Given a `Recorder`, the trial is also recorded: the planner adds its own steps and
model calls (`plan_with`), and the trial adds the plan, validation, tool steps and score
(`evals.transcripts.TrialRecording`).
"""

from __future__ import annotations

import asyncio
import time

from crane_bench.evals.cases import Case
from crane_bench.evals.llm_cache import CacheStats, cache_stats
from crane_bench.evals.results import TrialResult
from crane_bench.evals.scoring import Observation, accepted_despite_validation, score_trial
from crane_bench.evals.transcripts import TrialRecording
from crane_bench.runtime.errors import InvalidPlanError, PlannerError
from crane_bench.runtime.models import Plan, PlanResult, RunRecord
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.base import Planner, plan_with
from crane_bench.runtime.planners.validation import validate_plan
from crane_bench.runtime.tools import TodoStore, ToolRegistry, default_tools
from crane_bench.runtime.transcript import Recorder


def case_tools(case: Case) -> ToolRegistry:
    """Fresh tools whose todo store holds the case's setup todos, added in order (ids 1..n)."""
    store = TodoStore()
    for title in case.setup.todos:
        store.add(title)
    return default_tools(store)


def refusal_of(plan: Plan, tools: ToolRegistry) -> InvalidPlanError | None:
    """`validate_plan`'s verdict on `plan`: None when it passes, else why it refused it.

    A plan that crashes the checks is refused too (as invalid input), never a crash.
    """
    try:
        validate_plan(plan, tools)
    except InvalidPlanError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a plan that crashes the checks is not valid
        return InvalidPlanError(
            f"validation failed: {type(exc).__name__}: {exc}", reason="invalid_input"
        )
    return None


class _Attempt:
    """What one trial has gathered so far; kept when the case timeout cuts it short."""

    def __init__(self, recording: TrialRecording) -> None:
        self.recording = recording
        self.result: PlanResult | None = None
        self.error: BaseException | None = None
        self.validation_error: InvalidPlanError | None = None
        self.run: RunRecord | None = None
        self.plan_ms = 0.0

    async def go(self, case: Case, planner: Planner, orchestrator: Orchestrator) -> None:
        began = time.perf_counter()
        try:
            self.result = await plan_with(planner, case.prompt, self.recording.recorder)
        except PlannerError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a planner's bug is a recorded row, not a crash
            self.error = exc
        finally:
            self.plan_ms = (time.perf_counter() - began) * 1000
        if self.result is None:
            if self.error is not None:
                self.recording.error(self.error)
            return
        self.recording.plan(self.result)
        plan = self.result.plan
        tools = case_tools(case)
        self.validation_error = refusal_of(plan, tools)
        if self.validation_error is not None:
            accepted = accepted_despite_validation(case, plan, self.validation_error)
            self.recording.validation(self.validation_error, accepted=accepted)
            if not accepted:
                return
        else:
            self.recording.validation(None)
        self.run = await orchestrator.execute(plan, tools, prompt=case.prompt)
        self.recording.run(self.run)


async def run_trial(
    case: Case,
    planner: Planner,
    *,
    planner_name: str,
    repeat: int,
    orchestrator: Orchestrator,
    timeout_s: float,
    recorder: Recorder | None = None,
) -> TrialResult:
    """Run `case` once with `planner` and score it.

    Args:
        case: The gold case.
        planner: The planner under test.
        planner_name: Its name in this run (the row's `planner`).
        repeat: 0-based repeat index.
        orchestrator: Executes the plan; it holds no state between runs.
        timeout_s: Timeout of the whole trial: planning, validation and execution.
        recorder: Where the trial's transcript is recorded (None: it is not).

    Raises:
        asyncio.CancelledError: The run is being stopped; no row for this trial.
    """
    stats = CacheStats()
    cache_stats.set(stats)  # this task's own context: other trials never see it
    recording = TrialRecording(recorder)
    attempt = _Attempt(recording)
    timed_out = False
    try:
        async with asyncio.timeout(timeout_s):
            await attempt.go(case, planner, orchestrator)
    except TimeoutError as exc:
        timed_out = True
        recording.error(exc)
    observation = Observation(
        planner=planner_name,
        repeat=repeat,
        result=attempt.result,
        error=attempt.error,
        timed_out=timed_out,
        validation_error=attempt.validation_error,
        run=None if timed_out else attempt.run,
        latency_ms=attempt.plan_ms,
        cached=stats.fully_cached,
    )
    row = score_trial(case, observation)
    recording.score(row)
    return row
