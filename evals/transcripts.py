"""A trial's transcript: every event of the trial in order, one versioned model.

The planner records its own steps and model calls (`runtime.transcript`); the trial adds
the harness's: the plan that came back (or the planner's error, or the timeout), the
validation verdict, each executed tool step, and the score with its explanation
(`evals.explain`). `Transcript` is one line of `transcripts.jsonl`, keyed like the
trial's row in `results.jsonl`: (planner, case_id, repeat).

`TrialRecording` is what a trial does with a recorder: `run_trial` calls it at each
point, and it does nothing when the trial records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from crane_bench.evals.explain import Mismatch, explain_trial
from crane_bench.evals.results import TrialResult
from crane_bench.runtime.errors import InvalidPlanError
from crane_bench.runtime.models import Fallback, PlanResult, PlanStep, RunRecord
from crane_bench.runtime.transcript import (
    ClausesEvent,
    DecisionEvent,
    ExamplesEvent,
    ModelCallEvent,
    ModelVerdictEvent,
    Recorder,
    RulesEvent,
    Text,
    TranscriptEvent,
)

TRANSCRIPT_VERSION: Final = 1


class PlanEvent(TranscriptEvent):
    """The plan the planner returned, with what its metadata says of how it was made."""

    kind: Literal["plan"] = "plan"
    steps: list[PlanStep]
    model_calls: int = 0
    decision: str | None = None
    fallback: Fallback | None = None
    raw_output: Text | None = None
    latency_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int | None = None


class PlannerErrorEvent(TranscriptEvent):
    """The planner raised instead of returning a plan (or the trial's timeout fired)."""

    kind: Literal["planner_error"] = "planner_error"
    error_type: str
    message: str
    raw_output: Text | None = None
    """What the model said before the error, when the error carries it."""


class ValidationEvent(TranscriptEvent):
    """The plan checked against the case's tools before it runs."""

    kind: Literal["validation"] = "validation"
    ok: bool
    reason: str | None = None
    message: str | None = None
    accepted_anyway: bool = False
    """Refused by a tool's input model, but exactly the plan the case expects."""


class ToolStepEvent(TranscriptEvent):
    """One executed step of the plan."""

    kind: Literal["tool_step"] = "tool_step"
    index: int
    tool: str
    input: dict[str, JsonValue]
    status: str
    output: Text | None = None
    error: str | None = None
    attempts: int = 0
    duration_ms: float = 0.0


class ScoreEvent(TranscriptEvent):
    """The trial's outcome class, the rule that decided it, and what mismatched."""

    kind: Literal["score"] = "score"
    outcome: str
    summary: str
    mismatches: list[Mismatch] = Field(default_factory=list)
    plan_correct: bool = False
    rescored: bool = False
    """Written by `crane-bench rescore` in place of the run's own score event."""


Event = Annotated[
    ClausesEvent
    | RulesEvent
    | ExamplesEvent
    | ModelCallEvent
    | ModelVerdictEvent
    | DecisionEvent
    | PlanEvent
    | PlannerErrorEvent
    | ValidationEvent
    | ToolStepEvent
    | ScoreEvent,
    Field(discriminator="kind"),
]


class Transcript(BaseModel):
    """Every event of one trial, in order."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: Literal[1] = TRANSCRIPT_VERSION
    """The line format's version; lines of another version are refused."""
    planner: str
    case_id: str
    repeat: int = Field(0, ge=0)
    prompt: str
    outcome: str
    events: list[Event] = Field(default_factory=list)
    dropped_events: int = 0
    """Events past the per-trial cap, counted but not kept."""

    @property
    def key(self) -> tuple[str, str, int]:
        """(planner, case_id, repeat), as `results.jsonl` keys the trial."""
        return (self.planner, self.case_id, self.repeat)

    def model_calls(self) -> list[ModelCallEvent]:
        """The model-call events, in order."""
        return [event for event in self.events if isinstance(event, ModelCallEvent)]


def build_transcript(row: TrialResult, recorder: Recorder) -> Transcript:
    """The transcript of the trial `row` scored, from what `recorder` holds."""
    return Transcript.model_validate(
        {
            "planner": row.planner,
            "case_id": row.case_id,
            "repeat": row.repeat,
            "prompt": row.prompt or "",
            "outcome": row.outcome.value,
            "events": recorder.events,  # instances: pydantic keeps them, no re-validation
            "dropped_events": recorder.dropped,
        }
    )


class TrialRecording:
    """The harness's part of a trial's transcript; inert without a recorder.

    Args:
        recorder: The trial's recorder, or None when the trial records nothing.
    """

    def __init__(self, recorder: Recorder | None) -> None:
        self.recorder = recorder

    def plan(self, result: PlanResult) -> None:
        """The plan came back."""
        if (rec := self.recorder) is None:
            return
        meta = result.meta
        rec.add(
            PlanEvent(
                at_ms=rec.now_ms(),
                planner=meta.planner,
                steps=list(result.plan.steps),
                model_calls=meta.model_calls,
                decision=meta.decision,
                fallback=meta.fallback,
                raw_output=rec.text(meta.raw_output) if meta.raw_output else None,
                latency_ms=meta.latency_ms,
                tokens_in=meta.tokens_in,
                tokens_out=meta.tokens_out,
                tokens_cached=meta.tokens_cached,
            ),
            past_cap=True,
        )

    def error(self, exc: BaseException) -> None:
        """The planner raised `exc`, or (a `TimeoutError`) the trial's timeout fired."""
        if (rec := self.recorder) is None:
            return
        meta = getattr(exc, "meta", None)
        raw = getattr(meta, "raw_output", None)
        message = str(exc) or "the per-case timeout fired"
        rec.add(
            PlannerErrorEvent(
                at_ms=rec.now_ms(),
                error_type=type(exc).__name__,
                message=rec.line(message),
                raw_output=rec.text(raw) if isinstance(raw, str) and raw else None,
            ),
            past_cap=True,
        )

    def validation(self, error: InvalidPlanError | None, *, accepted: bool = False) -> None:
        """The plan passed validation (`error` None), or failed it."""
        if (rec := self.recorder) is None:
            return
        rec.add(
            ValidationEvent(
                at_ms=rec.now_ms(),
                ok=error is None,
                reason=error.reason if error is not None else None,
                message=rec.line(str(error)) if error is not None else None,
                accepted_anyway=accepted,
            ),
            past_cap=True,
        )

    def run(self, record: RunRecord) -> None:
        """The plan ran: one event per step."""
        if (rec := self.recorder) is None:
            return
        for step in record.steps:
            output = json.dumps(step.output, ensure_ascii=False, default=str)
            rec.add(
                ToolStepEvent(
                    at_ms=rec.now_ms(),
                    index=step.index,
                    tool=step.tool,
                    input=step.input,
                    status=step.status.value,
                    output=rec.text(output) if step.output is not None else None,
                    error=rec.line(f"{step.error.type}: {step.error.message}")
                    if step.error
                    else None,
                    attempts=step.attempts,
                    duration_ms=step.duration_ms,
                ),
                past_cap=True,
            )

    def score(self, row: TrialResult) -> None:
        """The trial was scored."""
        if (rec := self.recorder) is None:
            return
        rec.add(score_event(row, at_ms=rec.now_ms(), line=rec.line), past_cap=True)


def score_event(
    row: TrialResult,
    *,
    at_ms: float,
    line: Callable[[str, int], str],
    rescored: bool = False,
) -> ScoreEvent:
    """The score event of the scored trial `row`, its summary cut by `line`."""
    explanation = explain_trial(row)
    return ScoreEvent(
        at_ms=at_ms,
        outcome=row.outcome.value,
        summary=line(explanation.summary, 1000),
        mismatches=explanation.mismatches,
        plan_correct=row.plan_correct,
        rescored=rescored,
    )


def rescored_transcript(transcript: Transcript, row: TrialResult) -> Transcript:
    """`transcript` with its score event(s) replaced by the score of the re-scored `row`."""
    scores = [e for e in transcript.events if isinstance(e, ScoreEvent)]
    at_ms = scores[-1].at_ms if scores else 0.0
    kept = [e for e in transcript.events if not isinstance(e, ScoreEvent)]
    event = score_event(row, at_ms=at_ms, line=Recorder().line, rescored=True)
    return transcript.model_copy(update={"outcome": row.outcome.value, "events": [*kept, event]})


def step_text(step: PlanStep) -> str:
    """`calculator(expression="2 + 2")`: a step on one line, for people."""
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in step.input.items())
    return f"{step.tool}({args})"


def steps_text(steps: Sequence[PlanStep] | None) -> str:
    """Steps joined by arrows; `no rule` for None (a clause the rules did not read)."""
    if steps is None:
        return "no rule"
    return " → ".join(step_text(s) for s in steps) or "(no tool call)"
