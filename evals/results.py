"""One row per case trial: what the planner did, how it was scored, what it cost.

Rows are appended to `results.jsonl` as they finish, so an interrupted run loses nothing;
metrics are computed from the rows afterwards (`evals.metrics`), never accumulated.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from crane_bench.evals.cases import ExpectedPlan
from crane_bench.runtime.models import Plan

RESULTS_VERSION: Final = 1


class OutcomeClass(StrEnum):
    """Why a trial is right or wrong; exactly one per trial, first matching rule wins.

    Order of the rules: planner_error, timeout, invalid_plan, false_action, false_abstain,
    wrong_step_count, wrong_tool, wrong_args, outcome_mismatch, correct.
    """

    CORRECT = "correct"
    WRONG_TOOL = "wrong_tool"
    WRONG_ARGS = "wrong_args"
    WRONG_STEP_COUNT = "wrong_step_count"
    FALSE_ABSTAIN = "false_abstain"
    FALSE_ACTION = "false_action"
    INVALID_PLAN = "invalid_plan"
    PLANNER_ERROR = "planner_error"
    TIMEOUT = "timeout"
    OUTCOME_MISMATCH = "outcome_mismatch"


class TrialResult(BaseModel):
    """One case run once by one planner, scored."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: Literal[1] = RESULTS_VERSION
    """The row format's version, `RESULTS_VERSION`; rows of another version are refused."""
    case_id: str
    planner: str
    repeat: int = Field(0, ge=0)
    """0-based repeat index (`--repeats K` gives 0..K-1)."""
    category: str
    tags: list[str] = Field(default_factory=list)
    prompt: str | None = None
    """The case's prompt, so a row reads on its own after the case files change."""
    expected: ExpectedPlan | None = None
    """The case's expected plan, for the same reason."""
    source_case: str | None = None
    """For a perturbed variant (`--perturb`): the id of the case it was derived from."""
    perturbation: str | None = None
    """For a perturbed variant: the perturbation that rewrote the prompt; None otherwise."""

    outcome: OutcomeClass
    tool_correct: bool
    """Tool names right, in order (an expected abstain counts: both empty)."""
    step_count_correct: bool
    args_correct: bool
    """Every step's input matches (implies tool_correct)."""
    plan_correct: bool
    """The whole plan matches: tools, count and inputs."""
    end_to_end_correct: bool
    """The plan matches and executing it gave the expected outcome or clean failure."""
    valid_plan: bool
    """A plan came back, fits the schema, names known tools with valid inputs."""
    expected_abstain: bool
    abstained: bool

    latency_ms: float = 0.0
    """Planning time."""
    execute_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int | None = None
    """Prompt tokens the model server took from its prefix cache; None: it did not say."""
    cost_usd: float = 0.0
    model: str | None = None
    fallback_reason: str | None = None
    """Why a combining planner asked the model and did not use its answer; None otherwise."""
    model_calls: int = 0
    """Requests made to the model for this plan (0: the model was not asked)."""
    decision: str | None = None
    """How a combining planner chose its plan, in words."""
    cached: bool = False
    """The model's answer came from the on-disk response cache."""

    plan: Plan | None = None
    raw_output: str | None = None
    run_status: str | None = None
    run_output: JsonValue = None
    error: str | None = None
    """Planner or execution error message, one line."""
