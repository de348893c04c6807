"""GBNF grammars for the decomposed planner, and the one-clause answer format they fix.

For each clause the model writes one short answer, in the shape the few-shot examples
show::

    yes
    todo_update
    Id: 5
    Title: call grandma

or just ``no`` when no tool fits. The first line says whether a tool fits at all: a tiny
model separates requests from chit-chat better as a decision of its own than as one
label among eight. After `yes` come the label and its arguments. llama.cpp samples only
what the grammar allows, so the model cannot invent a tool, misspell an action, or
ramble. The grammar is built per clause, so that it also holds what the clause allows:

the labels offered (those of the tools the clause cues), and for each answer field the
grammar fragment its tool declares (`ToolPlugin.answer_fields`; the calculator's in
`tools/calculator/answer.py`, the todo store's in `tools/todo/answer.py`):
arithmetic-only expressions over the clause's numbers, ids among the numbers it names,
titles copied from its words. A label that needs a number
(`LabelSpec.needs_number`) is offered only when the clause names one, and one with a
field that `needs_ids` only when there is an id to give.

The labels, their fields and their grammars come from the tools' plug-ins; nothing here
names a tool or a field.

`format_answer` writes an answer (for the few-shot examples), `answer_grammar` constrains
one, and `parse_answer` reads one back; the three agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from pydantic import JsonValue

from crane_bench.runtime.planners.examples.examples import LABELS, Example, Label
from crane_bench.runtime.planners.gbnf import (
    MAX_ID_DIGITS,
    clause_ids,
    gbnf_literal,
    named_numbers,
)
from crane_bench.runtime.tools.plugin import NONE_LABEL, FieldContext, ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

__all__ = [
    "LABEL_TEXT",
    "MAX_ID_DIGITS",
    "Answer",
    "allowed_labels",
    "answer_grammar",
    "clause_ids",
    "format_answer",
    "format_fields",
    "gbnf_literal",
    "label_text",
    "named_numbers",
    "parse_answer",
]


def label_text(label: Label) -> str:
    """How a label opens an answer: `no` for `none`, else `yes` and the label."""
    return "no" if label == NONE_LABEL else f"yes\n{label}"


LABEL_TEXT: Final[dict[Label, str]] = {label: label_text(label) for label in LABELS}
"""How each built-in label opens an answer."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the model answered for one clause: a label and its fields' input values."""

    label: Label
    fields: Mapping[str, JsonValue] = field(default_factory=dict)

    @property
    def expression(self) -> str | None:
        """The `expression` field, if given."""
        value = self.fields.get("expression")
        return value if isinstance(value, str) else None

    @property
    def id(self) -> int | None:
        """The `id` field, if given."""
        value = self.fields.get("id")
        return value if isinstance(value, int) else None

    @property
    def title(self) -> str | None:
        """The `title` field, if given."""
        value = self.fields.get("title")
        return value if isinstance(value, str) else None


def format_answer(example: Example, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> str:
    """The answer an example stands for, as the model should write it (no final newline)."""
    return format_fields(example.label, plugins=plugins, **example.arguments())


def format_fields(
    label: Label, *, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS, **values: JsonValue
) -> str:
    """An answer's text from its label and field values (no final newline).

    Fields are written in the order the plug-ins declare them; None values are left out.
    """
    lines = [label_text(label)]
    for answer_field in plugins.answer_fields:
        value = values.get(answer_field.name)
        if value is not None:
            lines.append(answer_field.prefix + answer_field.write(value))
    return "\n".join(lines)


def allowed_labels(
    ids: Sequence[int],
    has_number: bool,
    labels: Iterable[Label] = LABELS,
    plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
) -> list[Label]:
    """The labels a clause can take.

    Those with a field that needs an id (`AnswerField.needs_ids`) only when there is one
    to give, and those that need a number (`LabelSpec.needs_number`: the calculator)
    only when the clause names one: an expression of constants alone would be made up.
    """
    allowed = []
    for label in labels:
        declared = plugins.label(label)
        spec = declared[1] if declared is not None else None
        needs_id = any(f.needs_ids for f in plugins.label_answer_fields(label))
        needs_number = spec is not None and spec.needs_number
        if (ids or not needs_id) and (has_number or not needs_number):
            allowed.append(label)
    return allowed


def answer_grammar(
    clause: str,
    labels: Sequence[Label] = LABELS,
    *,
    ids: Sequence[int] | None = None,
    copy_titles: bool = False,
    lead: str = "",
    end: str = "",
    plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
) -> str:
    """The grammar of one answer for `clause`.

    Args:
        clause: The clause being answered; with `copy_titles` its words are what a
            title may copy.
        labels: Labels to offer; those needing an id are dropped when there is none.
        ids: The ids allowed; by default the integers the clause names.
        copy_titles: Titles copy a run of the clause's words instead of free text.
        lead: Text the answer starts with (a space after a completion prompt's "Answer:").
        end: Text the answer ends with: a newline for a completion model, whose examples
            end so; nothing for a chat model, which ends its turn instead.
        plugins: The tools whose labels (fields, needs) are offered.

    Raises:
        ValueError: No label is left to offer.
    """
    ids = clause_ids(clause) if ids is None else list(ids)
    offered = allowed_labels(ids, bool(named_numbers(clause)), labels, plugins)
    if not offered:
        raise ValueError("no label to offer for this clause")
    alternatives = []
    needs: set[str] = set()
    for label in offered:
        parts = [gbnf_literal(label_text(label))]
        for answer_field in plugins.label_answer_fields(label):
            parts.append(gbnf_literal("\n" + answer_field.prefix) + " " + answer_field.symbol)
            needs.add(answer_field.name)
        alternatives.append(" ".join(parts))
    start = f"{gbnf_literal(lead)} " if lead else ""
    finish = f" {gbnf_literal(end)}" if end else ""
    rules = [f"root ::= {start}({' | '.join(alternatives)}){finish}"]
    context = FieldContext(clause=clause, ids=tuple(ids), copy_titles=copy_titles)
    for answer_field in plugins.answer_fields:
        if answer_field.name in needs:
            rules.extend(answer_field.rules(context))
    return "\n".join(rules) + "\n"


def parse_answer(text: str, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> Answer:
    """Read an answer written in the grammar's shape (a label of `plugins`, or `none`).

    Raises:
        ValueError: The text is not an answer (unknown label, a missing or stray field).
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    label = next(
        (
            label
            for label in plugins.labels
            if lines[: label_text(label).count("\n") + 1] == label_text(label).split("\n")
        ),
        None,
    )
    if label is None:
        raise ValueError(f"not an answer: {text[:80]!r}")
    raw: dict[str, str] = {}
    for line in lines[label_text(label).count("\n") + 1 :]:
        for answer_field in plugins.answer_fields:
            prefix = answer_field.prefix.strip()
            if line.startswith(prefix):
                raw[answer_field.name] = line[len(prefix) :].strip()
                break
        else:
            raise ValueError(f"unexpected line in answer: {line[:80]!r}")
    if set(raw) != plugins.label_fields[label]:
        raise ValueError(f"answer {label!r} has fields {sorted(raw)}")
    fields = {f.name: f.parse(raw[f.name]) for f in plugins.answer_fields if f.name in raw}
    return Answer(label=label, fields=fields)
