"""Runs a plan's steps in order, with a per-step timeout, retries and a run timeout.

The orchestrator owns backoff (tenacity); the error decides whether it is worth
another attempt (`runtime.errors.is_retryable`). Every step ends as a record: a tool
refusing its input fails the step and the run, and the steps after it are recorded as
skipped. Nothing here is global: the tools, the settings and the clock come in.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from crane_bench.runtime.errors import (
    CraneRuntimeError,
    ToolInputError,
    UnknownToolError,
    is_retryable,
)
from crane_bench.runtime.models import (
    ErrorKind,
    Plan,
    PlanStep,
    RunRecord,
    RunStatus,
    StepError,
    StepRecord,
    StepStatus,
)
from crane_bench.runtime.settings import Settings, setting_default
from crane_bench.runtime.tools.base import Tool, ToolRegistry

Sleep = Callable[[float], Awaitable[None]]
RetryHook = Callable[[str, int, BaseException], None]


class OrchestratorConfig(BaseModel):
    """Timeouts and retry policy of plan execution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_timeout_s: float = Field(setting_default("step_timeout_s"), gt=0)
    max_retries: int = Field(
        setting_default("step_max_retries"),
        ge=0,
        description="Retries of a step after its first attempt.",
    )
    backoff_base_s: float = Field(setting_default("backoff_base_s"), ge=0)
    backoff_max_s: float = Field(setting_default("backoff_max_s"), ge=0)
    backoff_jitter_s: float = Field(0.5, ge=0, description="Random extra wait, uniform 0..j.")
    run_timeout_s: float = Field(setting_default("run_timeout_s"), gt=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> OrchestratorConfig:
        """The policy the settings describe."""
        return cls(
            step_timeout_s=settings.step_timeout_s,
            max_retries=settings.step_max_retries,
            backoff_base_s=settings.backoff_base_s,
            backoff_max_s=settings.backoff_max_s,
            backoff_jitter_s=min(settings.backoff_base_s, 0.5),
            run_timeout_s=settings.run_timeout_s,
        )


def now() -> datetime:
    """The current UTC time; one place so records agree on the clock."""
    return datetime.now(UTC)


def new_run_id() -> str:
    """A fresh run id (hex uuid4)."""
    return uuid.uuid4().hex


def error_of(exc: BaseException, kind: ErrorKind | None = None) -> StepError:
    """Describe an exception as a recorded error, classifying it when no kind is given."""
    if kind is None:
        if isinstance(exc, ToolInputError):
            kind = "invalid_input"
        elif isinstance(exc, UnknownToolError):
            kind = "unknown_tool"
        elif isinstance(exc, CraneRuntimeError):
            kind = "tool_error"
        else:
            kind = "internal"
    message = str(exc) or type(exc).__name__
    return StepError(kind=kind, type=type(exc).__name__, message=message)


class Orchestrator:
    """Executes plans against a set of tools.

    Args:
        config: Timeouts and retry policy.
        sleep: Awaited between attempts; tests pass a recorder instead of real waiting.
        on_retry: Called as `on_retry(tool, attempt, exc)` before each retry (metrics).
    """

    def __init__(
        self,
        config: OrchestratorConfig | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        on_retry: RetryHook | None = None,
    ) -> None:
        self.config = config or OrchestratorConfig()
        self._sleep = sleep
        self._on_retry = on_retry

    async def execute(
        self,
        plan: Plan,
        tools: ToolRegistry,
        *,
        run_id: str | None = None,
        prompt: str = "",
    ) -> RunRecord:
        """Run every step of `plan` in order and return the finished run.

        A failing step fails the run and the later steps are recorded as skipped. When
        the run timeout fires, the step in flight is recorded as timed out.
        """
        run = RunRecord(
            run_id=run_id or new_run_id(),
            prompt=prompt,
            status=RunStatus.RUNNING,
            plan=plan,
            created_at=now(),
            started_at=now(),
        )
        started = time.perf_counter()
        records: list[StepRecord] = []
        try:
            async with asyncio.timeout(self.config.run_timeout_s):
                for index, step in enumerate(plan.steps):
                    record = StepRecord(
                        index=index, tool=step.tool, input=step.input, status=StepStatus.SKIPPED
                    )
                    records.append(record)
                    await self._run_step(step, tools, record)
                    if record.status is not StepStatus.COMPLETED:
                        break
        except TimeoutError:
            in_flight = records[-1]
            in_flight.status = StepStatus.TIMEOUT
            in_flight.error = StepError(
                kind="run_timeout",
                type="TimeoutError",
                message=f"run timed out after {self.config.run_timeout_s:g} s",
            )
            in_flight.ended_at = now()
        records.extend(
            StepRecord(index=i, tool=s.tool, input=s.input, status=StepStatus.SKIPPED)
            for i, s in enumerate(plan.steps)
            if i >= len(records)
        )
        run.steps = records
        failed = next((r for r in records if r.error is not None), None)
        if failed is None:
            run.status = RunStatus.COMPLETED
            run.output = records[-1].output if records else None
        else:
            run.status = RunStatus.FAILED
            run.error = failed.error
        run.ended_at = now()
        run.execute_ms = (time.perf_counter() - started) * 1000
        run.duration_ms = run.execute_ms
        return run

    async def _run_step(self, step: PlanStep, tools: ToolRegistry, record: StepRecord) -> None:
        record.started_at = now()
        began = time.perf_counter()
        try:
            tool = tools[step.tool]
            tool_input = tools.parse_input(step.tool, step.input)
            record.output = await self._attempts(tool, tool_input, record)
            record.status = StepStatus.COMPLETED
        except TimeoutError:
            record.status = StepStatus.TIMEOUT
            record.error = StepError(
                kind="timeout",
                type="TimeoutError",
                message=f"step timed out after {self.config.step_timeout_s:g} s "
                f"({record.attempts} attempts)",
            )
        except CraneRuntimeError as exc:
            record.status = StepStatus.FAILED
            record.error = error_of(exc)
        except Exception as exc:  # noqa: BLE001 - a tool's bug fails its step, not the run loop
            record.status = StepStatus.FAILED
            record.error = error_of(exc, "internal")
        finally:
            record.ended_at = now()
            record.duration_ms = (time.perf_counter() - began) * 1000

    async def _attempts(
        self, tool: Tool[Any], tool_input: BaseModel, record: StepRecord
    ) -> JsonValue:
        cfg = self.config
        # The first attempt runs without tenacity: building and driving an AsyncRetrying
        # costs more than a fast tool's whole step (`make bench`, orchestrator overhead),
        # and most steps succeed at once. A failure is handed to tenacity as its first
        # attempt's outcome, so the retry decision, the hook and the backoff are its own.
        record.attempts = 1
        try:
            async with asyncio.timeout(cfg.step_timeout_s):
                return await tool.run(tool_input)
        except Exception as exc:  # noqa: BLE001 - re-raised below, inside tenacity
            first_failure: BaseException | None = exc
        retrying = AsyncRetrying(
            stop=stop_after_attempt(cfg.max_retries + 1),
            wait=wait_exponential_jitter(
                multiplier=cfg.backoff_base_s, max=cfg.backoff_max_s, jitter=cfg.backoff_jitter_s
            ),
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            before_sleep=self._before_sleep(tool.name),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if first_failure is not None:
                    failure, first_failure = first_failure, None
                    raise failure
                record.attempts = attempt.retry_state.attempt_number
                async with asyncio.timeout(cfg.step_timeout_s):
                    return await tool.run(tool_input)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _before_sleep(self, tool_name: str) -> Callable[[RetryCallState], None]:
        def hook(state: RetryCallState) -> None:
            if self._on_retry is not None and state.outcome is not None:
                exc = state.outcome.exception()
                if exc is not None:
                    self._on_retry(tool_name, state.attempt_number, exc)

        return hook
