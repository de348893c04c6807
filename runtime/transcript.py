"""A trial's transcript as the planners see it: their reasoning steps and every model call.

A `Recorder` is one trial's notebook. Whoever runs the trial makes one and hands it to
the planner (`planners.base.plan_with`); the planner passes it down its own call path
(the hybrid to its LLM planner, the LLM planner to each model call), and each part adds
what it did, in order. There is no global recorder: concurrent trials each hold their
own, and a planner given none records nothing.

Events are pydantic models with a `kind`. This module holds the planner's events:

- `clauses`: how the prompt was cut into clauses;
- `rules`: what the pattern rules made of each clause (the hybrid's view of them);
- `examples`: the few-shot examples chosen for a clause;
- `model_call`: one attempt of one model request: the endpoint, the body sent (messages
  or prompt, grammar or schema, parameters), the raw answer, status, timings, tokens,
  whether the response cache answered it;
- `model_verdict`: whether a combining planner used the model's answer, and if not why;
- `decision`: how a combining planner chose its plan, in words.

The evaluation adds its own events (the plan, validation, tool steps, the score) to
the same recorder. Long text is cut to a bound with its original length kept (`Text`),
the number of events is capped, and the key a model client holds never enters: the
recorder masks the secrets it was given, their fragments and anything shaped like an
API key (`masking.mask`), and request headers are never read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from crane_bench.runtime.masking import mask
from crane_bench.runtime.models import Fallback, PlanStep

MAX_TEXT_CHARS: Final = 4_000
"""Longest text kept in an event; the rest is cut, its length kept in `Text.chars`."""
MAX_EVENTS: Final = 400
"""Events kept per trial; later ones are counted in `Recorder.dropped`."""


class Text(BaseModel):
    """A piece of text, cut to a bound; `chars` is its length before the cut."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    chars: int = Field(ge=0)

    @property
    def truncated(self) -> bool:
        """True when `text` is only the start of the original."""
        return self.chars > len(self.text)


class TranscriptEvent(BaseModel):
    """What every event has: when it happened in the trial, and which planner made it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    at_ms: float = 0.0
    """Milliseconds since the trial began."""
    planner: str | None = None
    """The planner that recorded it (`llm` inside a hybrid, say); None: the harness."""


class ClausesEvent(TranscriptEvent):
    """How a planner cut the prompt into clauses."""

    kind: Literal["clauses"] = "clauses"
    clauses: list[str]


class RuleReading(BaseModel):
    """One clause as the pattern rules read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    steps: list[PlanStep] | None = None
    """The rules' steps, or None when no rule served the clause."""


class RulesEvent(TranscriptEvent):
    """What the pattern rules made of the prompt."""

    kind: Literal["rules"] = "rules"
    clauses: list[RuleReading]
    confident: bool
    """True when the rules served every clause."""


class ShownExample(BaseModel):
    """One few-shot example shown to the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request: str
    answer: str


class ExamplesEvent(TranscriptEvent):
    """The few-shot examples chosen for one clause, in the order they were shown."""

    kind: Literal["examples"] = "examples"
    clause: str
    examples: list[ShownExample]
    shared: int = Field(0, ge=0)
    """Examples shown before these to every clause (the same each time, so not repeated
    here; they are the planner's `shared_examples`)."""


class ChatMessage(BaseModel):
    """One message of a chat request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str
    content: Text


CallOutcome = Literal["ok", "http_error", "timeout", "connection_error", "malformed", "cancelled"]


class ModelCallEvent(TranscriptEvent):
    """One attempt of one model request, as it went over HTTP."""

    kind: Literal["model_call"] = "model_call"
    purpose: str | None = None
    """What the call was for (the clause it decides), when the planner says."""
    attempt: int = Field(1, ge=1)
    """1 for the first try; a retry of the same call counts up."""
    endpoint: str
    """Scheme, host and path of the URL (never its query or user info)."""
    model: str | None = None
    messages: list[ChatMessage] | None = None
    """A chat request's messages."""
    prompt: Text | None = None
    """A completion request's prompt."""
    grammar: Text | None = None
    """The GBNF grammar sent (llama.cpp), if any."""
    response_format: Text | None = None
    """The response format or JSON schema sent, as JSON, if any."""
    params: dict[str, JsonValue] = Field(default_factory=dict)
    """The other body fields: temperature, seed, max_tokens, repeat_penalty."""
    outcome: CallOutcome
    status: int | None = None
    """HTTP status, when a response came."""
    error: str | None = None
    """Why the attempt failed, one line."""
    raw_response: Text | None = None
    """The response body as received."""
    answer: Text | None = None
    """The generated text read from it."""
    finish_reason: str | None = None
    latency_ms: float = 0.0
    """Wall time of this attempt, from sending to the parsed answer."""
    model_ms: float | None = None
    """The server's own prompt and generation time, when it reports it (llama-server)."""
    queue_ms: float | None = None
    """`latency_ms - model_ms`: waiting and transfer, when `model_ms` is known."""
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_cached: int | None = None
    """Prompt tokens the server took from its prefix cache, when it says (llama-server's
    `timings.cache_n`): `tokens_in - tokens_cached` were computed for this call."""
    cached: bool = False
    """Answered from the harness's response cache, not by the model."""


class ModelVerdictEvent(TranscriptEvent):
    """Whether a combining planner used its model's answer for `asked`, and if not why."""

    kind: Literal["model_verdict"] = "model_verdict"
    asked: str
    """The text the model was asked to plan (the prompt, or one clause)."""
    used: bool
    fallback: Fallback | None = None
    steps: list[PlanStep] = Field(default_factory=list)
    """The model's steps, when it gave a plan."""
    refused: list[PlanStep] = Field(default_factory=list)
    """Steps of that plan the planner did not keep (no cue for them in `asked`)."""

    @property
    def kept(self) -> list[PlanStep]:
        """The model's steps the planner kept."""
        return [step for step in self.steps if step not in self.refused]


class DecisionEvent(TranscriptEvent):
    """How a combining planner chose its plan."""

    kind: Literal["decision"] = "decision"
    strategy: str | None = None
    decision: str
    fallback: Fallback | None = None


class Recorder:
    """One trial's events, in the order they happened.

    Args:
        secrets: Strings that must never be recorded (API keys); masked in every text.
        max_chars: Longest text kept (`clip`).
        max_events: Events kept; later ones are only counted (`dropped`).
        clock: Seconds, monotonic; tests pass their own.
    """

    def __init__(
        self,
        *,
        secrets: Sequence[str] = (),
        max_chars: int = MAX_TEXT_CHARS,
        max_events: int = MAX_EVENTS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.secrets = tuple(secret for secret in secrets if secret)
        self.max_chars = max_chars
        self.max_events = max_events
        self.events: list[TranscriptEvent] = []
        self.dropped = 0
        self._clock = clock
        self._began = clock()

    def now_ms(self) -> float:
        """Milliseconds since the recorder was made (the trial began)."""
        return round((self._clock() - self._began) * 1000, 3)

    def add(self, event: TranscriptEvent, *, past_cap: bool = False) -> None:
        """Keep `event`, or count it when the cap is reached.

        Args:
            event: What happened.
            past_cap: Keep it even past the cap: the harness's own events (plan,
                validation, tool steps, score), so that a trial whose planner filled the
                transcript still says how it ended.
        """
        if len(self.events) >= self.max_events and not past_cap:
            self.dropped += 1
            return
        self.events.append(event)

    def text(self, value: str) -> Text:
        """`value` masked and cut to `max_chars`, with its length kept."""
        value = mask(value, self.secrets)
        return Text(text=value[: self.max_chars], chars=len(value))

    def line(self, value: str, limit: int = 500) -> str:
        """`value` masked, on one line, cut to `limit` characters (for short details)."""
        return mask(" ".join(value.split()), self.secrets)[:limit]
