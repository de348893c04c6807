"""Errors raised by the runtime.

Hierarchy::

    CraneRuntimeError
    ├── UserError                 a caller's mistake: one clear line, never a traceback
    │   ├── ConfigError           a setting is missing or invalid
    │   ├── PlannerUnavailableError   the service did not open the planner asked for (409)
    │   └── IdempotencyKeyReusedError an Idempotency-Key sent again with another body (409)
    ├── ToolError                 a tool refused its input; the step fails at once
    │   ├── CalculatorError       the expression is unsafe, malformed or out of bounds
    │   ├── ToolInputError        the input does not fit the tool's input model
    │   └── TransientToolError    a passing fault; the orchestrator retries it
    ├── UnknownToolError          a plan names a tool that is not registered
    ├── ServiceUnavailableError   the service is full or shutting down (HTTP 503)
    ├── RunStoreError             the run store (SQLite, PostgreSQL) failed (HTTP 503)
    └── PlannerError              no plan could be made
        ├── LLMError              the model call failed
        │   ├── LLMUnavailableError   connection refused or dropped
        │   ├── LLMTimeoutError       no answer within the planner's timeout
        │   └── LLMResponseError      HTTP error status, or output that is not a plan
        │       └── MalformedResponseError   an HTTP 200 whose body is not a completion
        └── InvalidPlanError      a plan that fails validation (schema, tool, input)

Who decides retryability: the error itself (`is_retryable`). Who owns backoff: the
orchestrator (for steps) and the LLM client (for model calls), both with tenacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crane_bench.runtime.models import PlanMeta

InvalidPlanReason = Literal["invalid_json", "schema", "unknown_tool", "invalid_input"]


class CraneRuntimeError(Exception):
    """Base of every error the runtime raises on purpose."""


class UserError(CraneRuntimeError):
    """A caller's mistake, shown as one line (CLI) or a 4xx (API)."""


class ConfigError(UserError):
    """A setting is missing or invalid."""


class ToolError(CraneRuntimeError):
    """A tool refused its input. Not retried: the same input fails the same way."""


class CalculatorError(ToolError):
    """The calculator refused an expression (unsafe, malformed, or out of bounds)."""


class ToolInputError(ToolError):
    """A step's input does not validate against the tool's input model."""


class TransientToolError(ToolError):
    """A passing fault inside a tool (a dropped connection, a busy backend); retried."""


class PlannerUnavailableError(UserError):
    """The request names a planner this server did not open (answered with 409)."""


class IdempotencyKeyReusedError(UserError):
    """An `Idempotency-Key` came back with a different body (answered with 409).

    409, not 422: the body is valid; it conflicts with the run the key already holds.
    """


class ServiceUnavailableError(CraneRuntimeError):
    """The executor is full or shutting down (answered with 503).

    Attributes:
        reason: `busy` or `shutting_down`, the label of the rejection metric.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class RunStoreError(CraneRuntimeError):
    """The run store could not read or write (database locked too long, unreachable).

    Answered with 503: the request may succeed when tried again.
    """


class UnknownToolError(CraneRuntimeError):
    """A plan names a tool that is not registered."""


class PlannerError(CraneRuntimeError):
    """A planner could not produce a plan.

    Attributes:
        meta: What the attempt cost and returned (tokens, latency, raw output), when known,
            so that a failed plan is still recorded in full.
    """

    def __init__(self, message: str, *, meta: PlanMeta | None = None) -> None:
        super().__init__(message)
        self.meta = meta


class LLMError(PlannerError):
    """The model call failed."""


class LLMUnavailableError(LLMError):
    """The model endpoint could not be reached, or dropped the connection."""


class LLMTimeoutError(LLMError):
    """The model did not answer within the planner's timeout."""


class LLMResponseError(LLMError):
    """The endpoint answered with an error status, or with output that is not a plan."""


class MalformedResponseError(LLMResponseError):
    """The endpoint answered HTTP 200 with a body that is not a well-formed completion.

    Not JSON, empty, `choices` that is not a list, `message: null`, non-string content,
    non-numeric token counts: the server is broken, so it is not retried.
    """


class InvalidPlanError(PlannerError):
    """A plan that fails validation: bad schema, unknown tool, or input a tool rejects.

    Attributes:
        reason: Which check failed; the hybrid planner records it as its fallback reason.
    """

    def __init__(
        self, message: str, *, reason: InvalidPlanReason, meta: PlanMeta | None = None
    ) -> None:
        super().__init__(message, meta=meta)
        self.reason: InvalidPlanReason = reason


def is_retryable(exc: BaseException) -> bool:
    """Tell whether a step that raised `exc` is worth another attempt.

    Timeouts and transient tool faults are; a tool refusing its input is not, because
    the same input fails the same way again.
    """
    # asyncio.TimeoutError is TimeoutError since Python 3.11 (so no asyncio import here).
    return isinstance(exc, TransientToolError | TimeoutError)
