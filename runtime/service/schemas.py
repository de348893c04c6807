"""Request and response bodies of the HTTP API.

Bodies that enter forbid unknown fields, so a typo is a 422 rather than a silently
ignored option. Runs go out as `runtime.models.RunRecord` itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.tools.todo import MAX_TITLE_LENGTH

MAX_PROMPT_CHARS = 2000
MAX_SETUP_TODOS = 100
# Every character that pydantic's regex engine, Python's `str.isspace` or an ECMAScript
# `\s` (what an OpenAPI client uses) calls whitespace, spelled out: `\S` means different
# sets in each (U+0085 and U+001C-U+001F in some, U+FEFF in another), so the schema and
# the server would disagree on what a blank prompt is.
WHITESPACE_CLASS = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NOT_BLANK = f"[^{WHITESPACE_CLASS}]"
SetupTitle = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH, pattern=NOT_BLANK)]
"""A todo title as the todo store takes it (it strips the whitespace around it)."""


class RunSetup(BaseModel):
    """State the run's tools hold before its plan runs, as a gold case's `setup` says."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    todos: list[SetupTitle] = Field(
        default_factory=list,
        max_length=MAX_SETUP_TODOS,
        description="Todo titles added in order before the plan runs; they get ids 1..n "
        f"(at most {MAX_SETUP_TODOS}, each 1-200 characters, not blank).",
    )


class CreateRunRequest(BaseModel):
    """A prompt to run, and optionally which planner plans it and what the tools hold."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"prompt": "calculate (10 + 5) * 2"},
                {"prompt": "mark task 2 done", "setup": {"todos": ["buy milk", "call mom"]}},
            ]
        },
    )

    prompt: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        # JSON Schema and pydantic both search (not match) the pattern: at least one
        # character that is not whitespace, so "   " is rejected like "".
        pattern=NOT_BLANK,
        description="What the user asks, in plain words (1-2000 characters, not blank).",
    )
    planner: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Planner to use, by name or label (see /api/v1/health `planners`); the "
        "server's default planner when omitted.",
    )
    setup: RunSetup | None = Field(
        None,
        description="State before the plan runs (a gold case's `setup`); every run starts "
        "from empty tools when omitted.",
    )


class RunAccepted(BaseModel):
    """A run that was accepted and is executing in the background."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(description="Id to poll at /api/v1/runs/{run_id}.")
    status: RunStatus = Field(description="`pending` right after submission.")


class RunSummary(BaseModel):
    """One line of the run list; the full run is at /api/v1/runs/{run_id}."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    status: RunStatus
    prompt: str
    planner: str | None = Field(None, description="Name of the planner that planned it.")
    created_at: datetime
    ended_at: datetime | None = None
    duration_ms: float = 0.0
    error: str | None = Field(None, description="Error kind and message of a failed run.")

    @classmethod
    def of(cls, run: RunRecord) -> RunSummary:
        """Summarize a run record."""
        error = f"{run.error.kind}: {run.error.message}" if run.error else None
        return cls(
            run_id=run.run_id,
            status=run.status,
            prompt=run.prompt,
            planner=run.planner.planner if run.planner else None,
            created_at=run.created_at,
            ended_at=run.ended_at,
            duration_ms=run.duration_ms,
            error=error,
        )


class RunList(BaseModel):
    """Recent runs, newest first."""

    model_config = ConfigDict(extra="forbid")

    runs: list[RunSummary]
    count: int = Field(description="Number of runs in this answer.")


class ErrorResponse(BaseModel):
    """A 4xx or 5xx answer that is not a validation error."""

    detail: str = Field(description="What went wrong, in one line.")
    run_id: str | None = Field(
        None, description="The run a `?wait=true` request waited for, when shutdown cut it short."
    )


class LLMHealth(BaseModel):
    """The LLM endpoint as the health check sees it."""

    model_config = ConfigDict(extra="forbid")

    configured: bool = Field(description="True when this server opened an LLM endpoint.")
    reachable: bool | None = Field(
        None, description="Whether it answered just now; null when none is configured."
    )
    base_url: str | None = None
    model: str | None = None
    detail: str | None = Field(None, description="Why it is unreachable, when it is.")


class HealthReport(BaseModel):
    """Overall health of the service."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["ok", "degraded"] = Field(
        description="`degraded` when not ready or a configured LLM endpoint does not answer."
    )
    version: str
    planner: str = Field(description="The default planner (name or label).")
    planners: list[str] = Field(description="Planners this server can run, by name or label.")
    llm: LLMHealth
    runs_in_flight: int
    uptime_s: float


class ProbeStatus(BaseModel):
    """Answer of a liveness or readiness probe."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["alive", "ready", "not_ready"]
    detail: str | None = None


class ToolUsage(BaseModel):
    """How one tool's steps went."""

    model_config = ConfigDict(extra="forbid")

    steps: int
    by_status: dict[str, int]
    success_rate: float | None = Field(description="Completed / executed (skipped excluded).")
    avg_duration_ms: float | None
    retries: int


class PlannerUsage(BaseModel):
    """How one planner's runs went."""

    model_config = ConfigDict(extra="forbid")

    runs: int
    avg_latency_ms: float | None = Field(description="Mean planning latency.")
    avg_run_duration_ms: float | None
    tokens_in: int
    tokens_out: int


class MetricsSummary(BaseModel):
    """A JSON digest of /metrics for people; counts since this process started."""

    model_config = ConfigDict(extra="forbid")

    runs_total: int
    runs_by_status: dict[str, int]
    success_rate: float | None = Field(description="Completed / finished runs; null before any.")
    runs_in_flight: int
    runs_rejected: int
    tools: dict[str, ToolUsage]
    planners: dict[str, PlannerUsage]
    fallbacks: dict[str, int]
    retries: int
    timeouts: dict[str, int] = Field(description="By scope: `step` or `run`.")
