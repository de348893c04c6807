"""The orchestrator: ordering, timeouts, retries with backoff, skipped steps, run timeout."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel, ConfigDict, JsonValue

from crane_bench.runtime.errors import CalculatorError, TransientToolError
from crane_bench.runtime.models import Plan, PlanStep, RunStatus, StepStatus
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools.base import ToolRegistry


class EchoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int


@dataclass
class ScriptedTool:
    """A tool whose attempts follow a script: an exception to raise, or a delay, per call."""

    name: str
    script: list[BaseException | float | None] = field(default_factory=list)
    description: str = "test tool"
    input_model: type[EchoInput] = EchoInput
    calls: int = 0

    async def run(self, tool_input: EchoInput) -> JsonValue:
        action = self.script[self.calls] if self.calls < len(self.script) else None
        self.calls += 1
        if isinstance(action, BaseException):
            raise action
        if isinstance(action, float):
            await asyncio.sleep(action)
        return tool_input.value * 2


class SleepRecorder:
    """Stands in for asyncio.sleep: records backoff waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def plan_of(*tools: str) -> Plan:
    return Plan(steps=[PlanStep(tool=t, input={"value": i + 1}) for i, t in enumerate(tools)])


def config(**kw: float) -> OrchestratorConfig:
    base: dict[str, float] = {"backoff_base_s": 1.0, "backoff_jitter_s": 0.0, "max_retries": 2}
    base.update(kw)
    return OrchestratorConfig.model_validate(base)


async def test_steps_run_in_order_and_output_is_last_step() -> None:
    a, b = ScriptedTool("a"), ScriptedTool("b")
    run = await Orchestrator(config()).execute(plan_of("a", "b"), ToolRegistry([a, b]))
    assert run.status is RunStatus.COMPLETED
    assert [s.output for s in run.steps] == [2, 4]
    assert run.output == 4
    assert all(s.attempts == 1 and s.duration_ms >= 0 for s in run.steps)
    assert run.steps[0].started_at is not None
    assert run.steps[0].ended_at is not None
    assert run.steps[0].started_at <= run.steps[0].ended_at


async def test_empty_plan_completes_with_no_output() -> None:
    run = await Orchestrator(config()).execute(Plan(), ToolRegistry([]))
    assert run.status is RunStatus.COMPLETED
    assert run.steps == []
    assert run.output is None


async def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    flaky = ScriptedTool("a", [TransientToolError("busy"), TransientToolError("busy")])
    sleep = SleepRecorder()
    retried: list[tuple[str, int]] = []
    orch = Orchestrator(
        config(max_retries=2), sleep=sleep, on_retry=lambda t, n, _e: retried.append((t, n))
    )
    run = await orch.execute(plan_of("a"), ToolRegistry([flaky]))
    assert run.status is RunStatus.COMPLETED
    assert run.steps[0].attempts == 3
    assert flaky.calls == 3
    assert sleep.waits == [1.0, 2.0]
    assert retried == [("a", 1), ("a", 2)]


async def test_backoff_has_bounded_jitter_and_cap() -> None:
    flaky = ScriptedTool("a", [TransientToolError("x")] * 5)
    sleep = SleepRecorder()
    cfg = config(max_retries=5, backoff_base_s=1.0, backoff_jitter_s=0.5, backoff_max_s=4.0)
    run = await Orchestrator(cfg, sleep=sleep).execute(plan_of("a"), ToolRegistry([flaky]))
    assert run.status is RunStatus.COMPLETED
    floors = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sleep.waits) == 5
    for wait, floor in zip(sleep.waits, floors, strict=True):
        assert floor <= wait <= min(floor + 0.5, 4.0)


async def test_retries_exhausted_fail_the_step_and_skip_the_rest() -> None:
    flaky = ScriptedTool("a", [TransientToolError("down")] * 3)
    after = ScriptedTool("b")
    sleep = SleepRecorder()
    run = await Orchestrator(config(max_retries=2), sleep=sleep).execute(
        plan_of("a", "b"), ToolRegistry([flaky, after])
    )
    assert run.status is RunStatus.FAILED
    assert run.steps[0].status is StepStatus.FAILED
    assert run.steps[0].attempts == 3
    assert run.steps[0].error is not None
    assert run.steps[0].error.type == "TransientToolError"
    assert run.steps[1].status is StepStatus.SKIPPED
    assert after.calls == 0
    assert run.error == run.steps[0].error


async def test_tool_refusal_is_not_retried() -> None:
    refusing = ScriptedTool("a", [CalculatorError("division by zero")])
    sleep = SleepRecorder()
    run = await Orchestrator(config(), sleep=sleep).execute(plan_of("a"), ToolRegistry([refusing]))
    assert run.status is RunStatus.FAILED
    assert refusing.calls == 1
    assert sleep.waits == []
    assert run.steps[0].error is not None
    assert run.steps[0].error.kind == "tool_error"
    assert run.steps[0].error.message == "division by zero"


async def test_invalid_input_and_unknown_tool_fail_at_once() -> None:
    tool = ScriptedTool("a")
    bad_input = Plan(steps=[PlanStep(tool="a", input={"value": "not a number"})])
    run = await Orchestrator(config()).execute(bad_input, ToolRegistry([tool]))
    assert run.steps[0].error is not None
    assert run.steps[0].error.kind == "invalid_input"
    assert "value" in run.steps[0].error.message
    assert tool.calls == 0

    run = await Orchestrator(config()).execute(plan_of("nope"), ToolRegistry([tool]))
    assert run.status is RunStatus.FAILED
    assert run.steps[0].error is not None
    assert run.steps[0].error.kind == "unknown_tool"


async def test_step_timeout_fires_is_retried_and_recorded() -> None:
    slow = ScriptedTool("a", [5.0, 5.0])
    sleep = SleepRecorder()
    run = await Orchestrator(config(step_timeout_s=0.02, max_retries=1), sleep=sleep).execute(
        plan_of("a"), ToolRegistry([slow])
    )
    assert run.status is RunStatus.FAILED
    step = run.steps[0]
    assert step.status is StepStatus.TIMEOUT
    assert step.attempts == 2
    assert step.error is not None
    assert step.error.kind == "timeout"
    assert sleep.waits == [1.0]


async def test_timeout_then_success_completes() -> None:
    slow_once = ScriptedTool("a", [5.0])
    run = await Orchestrator(config(step_timeout_s=0.02), sleep=SleepRecorder()).execute(
        plan_of("a"), ToolRegistry([slow_once])
    )
    assert run.status is RunStatus.COMPLETED
    assert run.steps[0].attempts == 2


async def test_run_timeout_marks_step_in_flight_and_skips_rest() -> None:
    slow = ScriptedTool("a", [5.0])
    after = ScriptedTool("b")
    run = await Orchestrator(config(run_timeout_s=0.05, step_timeout_s=10)).execute(
        plan_of("a", "b"), ToolRegistry([slow, after])
    )
    assert run.status is RunStatus.FAILED
    assert run.steps[0].status is StepStatus.TIMEOUT
    assert run.steps[0].error is not None
    assert run.steps[0].error.kind == "run_timeout"
    assert run.steps[1].status is StepStatus.SKIPPED
    assert run.error is not None
    assert run.error.kind == "run_timeout"


async def test_a_tool_bug_fails_its_step_not_the_loop() -> None:
    buggy = ScriptedTool("a", [ZeroDivisionError("oops")])
    run = await Orchestrator(config()).execute(plan_of("a"), ToolRegistry([buggy]))
    assert run.status is RunStatus.FAILED
    assert run.steps[0].error is not None
    assert run.steps[0].error.kind == "internal"
    assert buggy.calls == 1


@pytest.mark.parametrize("attempts", [1, 2, 5])
async def test_attempt_count_follows_config(attempts: int) -> None:
    flaky = ScriptedTool("a", [TransientToolError("x")] * 10)
    sleep = SleepRecorder()
    run = await Orchestrator(config(max_retries=attempts - 1), sleep=sleep).execute(
        plan_of("a"), ToolRegistry([flaky])
    )
    assert flaky.calls == attempts
    assert run.steps[0].attempts == attempts
    assert len(sleep.waits) == attempts - 1


async def test_backoff_base_other_than_one_scales_the_waits() -> None:
    flaky = ScriptedTool("a", [TransientToolError("x")] * 2)
    sleep = SleepRecorder()
    run = await Orchestrator(config(backoff_base_s=0.25), sleep=sleep).execute(
        plan_of("a"), ToolRegistry([flaky])
    )
    assert run.status is RunStatus.COMPLETED
    assert sleep.waits == [0.25, 0.5]


async def test_the_default_settings_wait_1_2_and_4_s_between_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("STEP_MAX_RETRIES", "MAX_RETRIES", "BACKOFF_BASE_S", "BACKOFF_MAX_S"):
        monkeypatch.delenv(name, raising=False)
    flaky = ScriptedTool("a", [TransientToolError("x")] * 3)
    sleep = SleepRecorder()
    cfg = OrchestratorConfig.from_settings(Settings(_env_file=None))
    run = await Orchestrator(cfg, sleep=sleep).execute(plan_of("a"), ToolRegistry([flaky]))
    assert run.status is RunStatus.COMPLETED
    assert flaky.calls == 4
    assert len(sleep.waits) == 3
    for wait, floor in zip(sleep.waits, [1.0, 2.0, 4.0], strict=True):
        assert floor <= wait <= floor + cfg.backoff_jitter_s
