"""The runtime's data: plans, planner metadata, step and run records.

A plan is the planner's answer and the wire format between planner and orchestrator:
its step inputs stay plain JSON until the orchestrator validates each one against the
tool's own input model. Records are values: the orchestrator returns them, never
mutates shared state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

MAX_PLAN_STEPS = 8


class PlanStep(BaseModel):
    """One tool call of a plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str = Field(min_length=1, max_length=64, description="Registered tool name.")
    input: dict[str, JsonValue] = Field(
        default_factory=dict, description="Tool input; validated by the tool's model."
    )


class Plan(BaseModel):
    """An ordered list of tool calls. Zero steps means no tool applies (abstain)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[PlanStep] = Field(default_factory=list, max_length=MAX_PLAN_STEPS)

    @property
    def abstains(self) -> bool:
        """True when the planner chose to call no tool."""
        return not self.steps


class FallbackReason(StrEnum):
    """Why the hybrid planner asked the model and did not use (all of) its plan.

    A plan the rules made without asking the model is no fallback: nothing fell back.
    `PlanMeta.model_calls` tells whether the model was asked at all.
    """

    MODEL_ERROR = "model_error"
    TIMEOUT = "timeout"
    INVALID_JSON = "invalid_json"
    UNKNOWN_TOOL = "unknown_tool"
    INVALID_INPUT = "invalid_input"
    UNSUPPORTED_STEP = "unsupported_step"  # a step for a tool its clause gives no cue for


class Fallback(BaseModel):
    """A fallback taken by a combining planner, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: FallbackReason
    detail: str = ""


class PlanMeta(BaseModel):
    """What it took to make a plan."""

    model_config = ConfigDict(extra="forbid")

    planner: str
    latency_ms: float = 0.0
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int | None = None
    """Prompt tokens the server took from its cache, summed over the calls; None when
    no server said (only llama-server, OpenAI and vLLM report it)."""
    cost_usd: float = 0.0
    fallback: Fallback | None = None
    raw_output: str | None = None
    strategy: str | None = None
    model_calls: int = Field(0, ge=0)
    """Requests made to the model for this plan (0: the model was not asked)."""
    decision: str | None = None
    """How a combining planner chose its plan, in words (which part answered, and why)."""


class PlanResult(BaseModel):
    """A plan plus the metadata of how it was made."""

    model_config = ConfigDict(extra="forbid")

    plan: Plan
    meta: PlanMeta


class StepStatus(StrEnum):
    """Life of one step."""

    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    """Life of one run; `completed` and `failed` are terminal."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """True once the run can change no more."""
        return self in (RunStatus.COMPLETED, RunStatus.FAILED)


ErrorKind = Literal[
    "tool_error",
    "invalid_input",
    "unknown_tool",
    "timeout",
    "run_timeout",
    "planner_error",
    "cancelled",
    "interrupted",
    "internal",
]
"""Why a step or run failed. `cancelled`: the service shut down and its drain ended the
run; `interrupted`: the process died with the run unfinished (marked at the next start)."""


class StepError(BaseModel):
    """Why a step failed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ErrorKind
    type: str = Field(description="Exception class name.")
    message: str


class StepRecord(BaseModel):
    """What happened to one step."""

    model_config = ConfigDict(extra="forbid")

    index: int
    tool: str
    input: dict[str, JsonValue]
    status: StepStatus
    output: JsonValue = None
    error: StepError | None = None
    attempts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float = 0.0


class RunRecord(BaseModel):
    """A run: the plan, every step, the outcome and its timings."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    prompt: str
    status: RunStatus
    plan: Plan | None = None
    planner: PlanMeta | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    output: JsonValue = Field(None, description="Output of the last step when completed.")
    error: StepError | None = None
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    plan_ms: float = 0.0
    execute_ms: float = 0.0
    duration_ms: float = 0.0
