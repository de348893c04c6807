"""Transcripts in the eval report: the failing trials' own, and the ones to compare them with.

Each failing-cases row opens its trial's transcript (a panel under the row), and a
side-by-side view puts it beside another planner's transcript of the same case and
repeat. Every transcript is rendered once: a failing row's in its panel, the others in a
hidden library the page's script clones from. So the page stays bounded: at most
`MAX_ROWS` failing rows get a transcript (the others name the `crane-bench show` command
that prints theirs), and every text is cut to `MAX_CHARS` with its length said.

Text from models and cases goes to the template as plain strings; autoescaping makes it
text, and the script only clones nodes, never parses strings as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from crane_bench.evals.errors import RunLogError
from crane_bench.evals.run_reader import EvalRun
from crane_bench.evals.transcripts import (
    PlanEvent,
    PlannerErrorEvent,
    ScoreEvent,
    ToolStepEvent,
    Transcript,
    ValidationEvent,
    step_text,
    steps_text,
)
from crane_bench.reports.errors import RunDataError
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.transcript import (
    ClausesEvent,
    DecisionEvent,
    ExamplesEvent,
    ModelCallEvent,
    ModelVerdictEvent,
    RulesEvent,
    Text,
    TranscriptEvent,
)

MAX_ROWS: Final = 200
"""Failing rows whose transcript is embedded; the rest point to `crane-bench show`."""
MAX_CHARS: Final = 2_000
"""Longest text shown in the page; the run's transcripts.jsonl keeps more."""
FOLD_CHARS: Final = 240
"""Texts longer than this start folded (a click opens them)."""

TrialKey = tuple[str, str, int]


@dataclass(frozen=True)
class FieldView:
    """One labelled text of an event; `folded` ones start closed; `raw` is model output."""

    label: str
    text: str
    folded: bool = False
    note: str = ""
    raw: bool = False


@dataclass(frozen=True)
class EventView:
    """One event as the page shows it."""

    kind: str
    head: str
    tone: str = ""
    sub: str = ""
    fields: list[FieldView] = field(default_factory=list)


@dataclass(frozen=True)
class TranscriptView:
    """One trial's transcript, ready for the template."""

    id: str
    planner: str
    case_id: str
    repeat: int
    outcome: str
    prompt: str
    model_calls: int
    events: list[EventView]
    dropped: int = 0


@dataclass(frozen=True)
class TranscriptSet:
    """The transcripts a report embeds, by trial, and what each row can be compared with."""

    available: bool
    """The run has a transcripts.jsonl."""
    by_key: dict[TrialKey, TranscriptView] = field(default_factory=dict)
    inline: set[TrialKey] = field(default_factory=set)
    """Trials shown in a failing row's panel; the others go to the hidden library."""
    embedded_rows: int = 0

    def for_row(self, planner: str, case_id: str, repeat: int) -> TranscriptView | None:
        """The transcript shown under a failing row, if embedded."""
        return self.by_key.get((planner, case_id, repeat))

    def others(self, planner: str, case_id: str, repeat: int) -> list[TranscriptView]:
        """The other planners' transcripts of the same case and repeat."""
        return sorted(
            (
                view
                for (p, c, r), view in self.by_key.items()
                if c == case_id and r == repeat and p != planner
            ),
            key=lambda view: view.planner,
        )

    @property
    def library(self) -> list[TranscriptView]:
        """Embedded transcripts no failing row shows: only the comparisons clone them."""
        return [view for key, view in sorted(self.by_key.items()) if key not in self.inline]


def _cut(text: Text | str) -> tuple[str, str]:
    """(shown text, note on what was cut)."""
    value = text.text if isinstance(text, Text) else text
    total = text.chars if isinstance(text, Text) else len(value)
    shown = value[:MAX_CHARS]
    note = f"{total:,} characters, the first {len(shown):,} shown" if total > len(shown) else ""
    return shown, note


def _field(label: str, text: Text | str, *, raw: bool = False) -> FieldView:
    shown, note = _cut(text)
    return FieldView(label, shown, folded=len(shown) > FOLD_CHARS and not raw, note=note, raw=raw)


def _call(number: int, event: ModelCallEvent) -> EventView:
    fields = [_field("endpoint", f"{event.endpoint} · model {event.model} · {event.params}")]
    if event.messages:
        first, last = event.messages[0], event.messages[-1]
        fields.append(_field(first.role, first.content))
        if len(event.messages) > 2:
            turns = f"{len(event.messages) - 2} example turns: the examples listed above"
            fields.append(FieldView("…", turns))
        if len(event.messages) > 1:
            fields.append(_field(last.role, last.content))
    if event.prompt is not None:
        fields.append(_field("prompt", event.prompt))
    if event.grammar is not None:
        fields.append(_field("grammar", event.grammar))
    if event.response_format is not None:
        fields.append(_field("response format", event.response_format))
    if event.error:
        fields.append(_field("error", event.error))
    if event.answer is not None:
        fields.append(_field("raw model output", event.answer, raw=True))
    if event.raw_response is not None:
        fields.append(_field("response body", event.raw_response))
    timing = f"{event.latency_ms:,.0f} ms"
    if event.model_ms is not None:
        timing += f" (model {event.model_ms:,.0f} ms, queue {event.queue_ms or 0:,.0f} ms)"
    if event.tokens_cached is not None and event.tokens_in:
        timing += f", {event.tokens_cached} of {event.tokens_in} prompt tokens cached"
    tokens = f"{event.tokens_in} in / {event.tokens_out} out" if event.tokens_in is not None else ""
    head = f"model call {number}" + (f" (attempt {event.attempt})" if event.attempt > 1 else "")
    if event.purpose:
        head += f" · {event.purpose}"
    status = f"{event.outcome} {event.status or ''}".strip()
    sub = " · ".join(x for x in (status, timing, tokens, "cached" if event.cached else "") if x)
    return EventView("model_call", head, "ok" if event.outcome == "ok" else "bad", sub, fields)


def _planner_event(event: TranscriptEvent) -> EventView | None:  # noqa: PLR0911 - one per kind
    who = f"{event.planner}: " if event.planner else ""
    if isinstance(event, RulesEvent):
        lines = "\n".join(f"{c.text!r} → {steps_text(c.steps)}" for c in event.clauses)
        head = f"{who}rules (served every clause: {'yes' if event.confident else 'no'})"
        return EventView("rules", head, fields=[_field("clauses", lines)])
    if isinstance(event, ClausesEvent):
        return EventView("clauses", f"{who}clauses: " + " | ".join(map(repr, event.clauses)))
    if isinstance(event, ExamplesEvent):
        lines = "\n".join(f"{e.request!r} → {e.answer!r}" for e in event.examples)
        after = f" (after {event.shared} shared)" if event.shared else ""
        head = f"{who}examples for {event.clause!r}{after}"
        return EventView("examples", head, fields=[_field("shown", lines)])
    if isinstance(event, ModelVerdictEvent):
        asked = f"{who}model's answer for {event.asked!r}"
        if event.used:
            head = f"{asked} used: {steps_text(event.kept)}"
            sub = f"refused (no cue): {steps_text(event.refused)}" if event.refused else ""
            return EventView("verdict", head, "ok", sub=sub)
        reason = event.fallback
        why = f"{reason.reason.value}: {reason.detail}" if reason else "not used"
        return EventView("verdict", f"{asked} not used ({why})", "bad")
    if isinstance(event, DecisionEvent):
        fallback = event.fallback
        sub = f"fallback {fallback.reason.value}: {fallback.detail}" if fallback else ""
        return EventView("decision", f"{who}decision ({event.strategy}): {event.decision}", sub=sub)
    return None


def _score(event: ScoreEvent) -> EventView:
    lines = [
        f"{m.field}: {m.why} (expected {json.dumps(m.expected, ensure_ascii=False)}, "
        f"got {json.dumps(m.actual, ensure_ascii=False)})"
        for m in event.mismatches
    ]
    fields = [_field("mismatches", "\n".join(lines))] if lines else []
    tone = "ok" if event.outcome == "correct" else "bad"
    return EventView("score", f"score: {event.outcome} · {event.summary}", tone, fields=fields)


def _harness_event(event: TranscriptEvent) -> EventView | None:  # noqa: PLR0911 - one per kind
    who = f"{event.planner}: " if event.planner else ""
    if isinstance(event, PlanEvent):
        fields = [_field("raw output", event.raw_output, raw=True)] if event.raw_output else []
        return EventView("plan", f"{who}plan: {steps_text(event.steps)}", fields=fields)
    if isinstance(event, PlannerErrorEvent):
        fields = [_field("raw output", event.raw_output, raw=True)] if event.raw_output else []
        return EventView("error", f"{event.error_type}: {event.message}", "bad", fields=fields)
    if isinstance(event, ValidationEvent):
        if event.ok:
            return EventView("validation", "validation passed", "ok")
        note = " (accepted: the plan the case expects)" if event.accepted_anyway else ""
        head = f"validation failed ({event.reason}): {event.message}{note}"
        return EventView("validation", head, "bad")
    if isinstance(event, ToolStepEvent):
        result = event.error or (event.output.text[:MAX_CHARS] if event.output else "")
        tone = "ok" if event.status == "completed" else "bad"
        call = step_text(PlanStep(tool=event.tool, input=event.input))
        head = f"step {event.index} {call} → {event.status}"
        return EventView("step", head, tone, fields=[_field("output", result)] if result else [])
    if isinstance(event, ScoreEvent):
        return _score(event)
    return None


def transcript_view(transcript: Transcript, view_id: str) -> TranscriptView:
    """`transcript` as the template shows it."""
    events: list[EventView] = []
    calls = 0
    for event in transcript.events:
        if isinstance(event, ModelCallEvent):
            calls += 1
            view: EventView | None = _call(calls, event)
        else:
            view = _planner_event(event) or _harness_event(event)
        if view is not None:
            events.append(view)
    return TranscriptView(
        id=view_id,
        planner=transcript.planner,
        case_id=transcript.case_id,
        repeat=transcript.repeat,
        outcome=transcript.outcome,
        prompt=transcript.prompt,
        model_calls=calls,
        events=events,
        dropped=transcript.dropped_events,
    )


def transcript_set(
    run: EvalRun, failing: Iterable[TrialKey], ran: Iterable[TrialKey]
) -> TranscriptSet:
    """Read the transcripts of the failing trials (the first `MAX_ROWS`) and their peers.

    Args:
        run: The run (`evals.run_reader.read_run`).
        failing: (planner, case, repeat) of each failing row's shown trial, in page order.
        ran: Every trial of the run, to find the other planners' trials of a case.

    Raises:
        RunDataError: transcripts.jsonl is malformed.
    """
    if not run.has_transcripts:
        return TranscriptSet(available=False)
    shown = list(dict.fromkeys(failing))[:MAX_ROWS]
    wanted_cases = {(case, repeat) for _, case, repeat in shown}
    wanted = set(shown) | {key for key in ran if (key[1], key[2]) in wanted_cases}
    try:
        transcripts = {t.key: t for t in run.transcripts(wanted)}
    except RunLogError as exc:
        raise RunDataError(str(exc)) from None
    views = {
        key: transcript_view(transcripts[key], f"transcript-{number}")
        for number, key in enumerate(sorted(transcripts))
    }
    return TranscriptSet(
        available=True,
        by_key=views,
        inline={key for key in shown if key in views},
        embedded_rows=len(shown),
    )
