"""A transcript drawn for the terminal with rich: one block per event, long text folded.

Everything that came from a model or a case is put in `rich.text.Text` objects, never
parsed as markup, so a model's `[bold]` or an escape sequence prints as the characters
it is. Prompts show their last lines (where the request is) and grammars their first;
`full=True` prints every stored character.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

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
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.transcript import (
    ClausesEvent,
    DecisionEvent,
    ExamplesEvent,
    ModelCallEvent,
    ModelVerdictEvent,
    RulesEvent,
)
from crane_bench.runtime.transcript import Text as StoredText

FOLD_CHARS: Final = 600
"""Characters of a prompt, grammar or raw body shown when folded."""


def _stored(value: StoredText, *, full: bool, tail: bool = False) -> Text:
    """Stored text, folded to `FOLD_CHARS` (its end when `tail`) unless `full`."""
    text = value.text
    notes = []
    if not full and len(text) > FOLD_CHARS:
        text = ("…" + text[-FOLD_CHARS:]) if tail else (text[:FOLD_CHARS] + "…")
        notes.append(f"{len(value.text):,} chars stored, --full shows them")
    if value.truncated:
        notes.append(f"{value.chars:,} chars originally")
    shown = Text(text)
    if notes:
        shown.append(f"\n({'; '.join(notes)})", style="dim")
    return shown


def _labelled(label: str, body: Text | str) -> Text:
    line = Text(f"{label}: ", style="bold")
    line.append(body if isinstance(body, Text) else Text(body))
    return line


def _call(number: int, event: ModelCallEvent, *, full: bool) -> Panel:
    ok = event.outcome == "ok"
    parts: list[RenderableType] = []
    params = ", ".join(f"{k}={v}" for k, v in event.params.items())
    parts.append(_labelled("endpoint", f"{event.endpoint} · model {event.model} · {params}"))
    if event.messages:
        messages = event.messages
        if not full and len(messages) > 2:
            # The example turns repeat the `examples` event above: fold them.
            first, last = messages[0], messages[-1]
            parts.append(_labelled(first.role, _stored(first.content, full=False)))
            folded = f"({len(messages) - 2} example turns, as listed above; --full shows them)"
            parts.append(Text(folded, style="dim"))
            messages = [last]
        for message in messages:
            tail = message.role == "user"
            parts.append(_labelled(message.role, _stored(message.content, full=full, tail=tail)))
    if event.prompt is not None:
        parts.append(_labelled("prompt", _stored(event.prompt, full=full, tail=True)))
    if event.grammar is not None:
        parts.append(_labelled("grammar", _stored(event.grammar, full=full)))
    if event.response_format is not None:
        parts.append(_labelled("response format", _stored(event.response_format, full=full)))
    if event.error:
        parts.append(_labelled("error", Text(event.error, style="red")))
    if event.answer is not None:
        parts.append(_labelled("answer", _stored(event.answer, full=True)))
    elif event.raw_response is not None:
        parts.append(_labelled("raw response", _stored(event.raw_response, full=full)))
    timing = f"{event.latency_ms:,.0f} ms"
    if event.model_ms is not None:
        timing += f" (model {event.model_ms:,.0f}, queue {event.queue_ms or 0:,.0f})"
    if event.tokens_cached is not None and event.tokens_in:
        timing += f", {event.tokens_cached}/{event.tokens_in} prompt tokens cached"
    tokens = f"{event.tokens_in} in / {event.tokens_out} out" if event.tokens_in is not None else ""
    title = Text(f"model call {number}", style="bold")
    if event.attempt > 1:
        title.append(f" (attempt {event.attempt})")
    if event.purpose:
        title.append(" · ")
        title.append(Text(event.purpose))
    subtitle = " · ".join(
        x
        for x in (
            f"{event.outcome} {event.status or ''}".strip(),
            timing,
            tokens,
            "cached" if event.cached else "",
        )
        if x
    )
    return Panel(
        Group(*parts), title=title, subtitle=subtitle, border_style="green" if ok else "red"
    )


def _score(event: ScoreEvent) -> RenderableType:
    style = "green" if event.outcome == "correct" else "red"
    head = Text(f"score: {event.outcome}", style=f"bold {style}")
    head.append(Text(f" · {event.summary}", style=""))
    if not event.mismatches:
        return head
    table = Table("field", "expected", "actual", "why", show_edge=False, pad_edge=False)
    for m in event.mismatches:
        table.add_row(
            Text(m.field),
            Text(json.dumps(m.expected, ensure_ascii=False)),
            Text(json.dumps(m.actual, ensure_ascii=False)),
            Text(m.why),
        )
    return Group(head, table)


def _event_blocks(transcript: Transcript, *, full: bool) -> Iterator[RenderableType]:
    calls = 0
    for event in transcript.events:
        who = f"[{event.planner}] " if event.planner else ""
        if isinstance(event, RulesEvent):
            yield Text(f"{who}rules (served every clause: {event.confident})", style="bold")
            for clause in event.clauses:
                yield Text(f"  · {clause.text!r} → {steps_text(clause.steps)}")
        elif isinstance(event, ClausesEvent):
            yield Text(f"{who}clauses: " + " | ".join(repr(c) for c in event.clauses), style="bold")
        elif isinstance(event, ExamplesEvent):
            after = f" (after {event.shared} shared)" if event.shared else ""
            yield Text(f"{who}examples for {event.clause!r}{after}:", style="bold")
            for example in event.examples:
                answer = example.answer.replace("\n", " / ")
                yield Text(f"  · {example.request!r} → {answer}", style="dim")
        elif isinstance(event, ModelCallEvent):
            calls += 1
            yield _call(calls, event, full=full)
        elif isinstance(event, ModelVerdictEvent):
            line = Text(f"{who}model's answer for {event.asked!r}: ")
            if event.used:
                line.append(f"used ({steps_text(event.kept)})", style="green")
                if event.refused:
                    line.append(f" · refused, no cue: {steps_text(event.refused)}", style="red")
            else:
                reason = event.fallback
                why = f"{reason.reason.value}: {reason.detail}" if reason else "not used"
                line.append(f"not used ({why})", style="red")
            yield line
        elif isinstance(event, DecisionEvent):
            line = Text(f"{who}decision ({event.strategy}): {event.decision}", style="bold")
            if event.fallback is not None:
                line.append(f" · fallback {event.fallback.reason.value}: {event.fallback.detail}")
            yield line
        elif isinstance(event, PlanEvent):
            yield Text(f"{who}plan: {steps_text(event.steps)}", style="bold")
            if event.raw_output is not None:
                yield _labelled("  raw output", _stored(event.raw_output, full=full))
        elif isinstance(event, PlannerErrorEvent):
            yield Text(f"{who}error {event.error_type}: {event.message}", style="bold red")
        elif isinstance(event, ValidationEvent):
            verdict = "passed" if event.ok else f"failed ({event.reason}): {event.message}"
            if event.accepted_anyway:
                verdict += " · accepted: it is the plan the case expects"
            yield Text(f"validation {verdict}", style="green" if event.ok else "yellow")
        elif isinstance(event, ToolStepEvent):
            result = event.error or (event.output.text if event.output else "")
            yield Text(
                f"step {event.index} {step_text(PlanStep(tool=event.tool, input=event.input))}"
                f" → {event.status}: {result}"
            )
        elif isinstance(event, ScoreEvent):
            yield _score(event)


def print_transcript(console: Console, transcript: Transcript, *, full: bool = False) -> None:
    """Print `transcript`: a header, then each event in order."""
    head = Text(f"{transcript.case_id}", style="bold")
    head.append(f" · planner {transcript.planner} · repeat {transcript.repeat} · ")
    head.append(transcript.outcome, style="green" if transcript.outcome == "correct" else "red")
    console.print(Panel(Group(head, _labelled("prompt", transcript.prompt))))
    for block in _event_blocks(transcript, full=full):
        console.print(block)
    if transcript.dropped_events:
        console.print(Text(f"({transcript.dropped_events} later events not kept)", style="dim"))
