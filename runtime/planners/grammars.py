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

- **expression**: arithmetic only: `+ - * / // % **`, parentheses and the calculator's
  functions (`sqrt abs round min max`), over the numbers the clause names (digits,
  number words, "1,250" as 1250) and a few constants ("half" is `/ 2`, "percent" is
  `/ 100`); no names, and no number the user did not give. A clause that names no
  number is offered no calculator at all.
- **id**: one of the integers written in the clause (digits, or number words read by
  `number_words`). A clause with no number cannot be given an id label, so "delete all
  my todos" can only be answered with a tool that needs none, or `no`.
- **title**: a run of the clause's own words, copied verbatim (`copy_titles`), so that
  text the user asks to store is never rewritten; or a bounded single line.

The labels, their fields and which need a number come from the tools' plug-ins
(`ToolPlugin.labels`); each answer field has its grammar here, whatever tool uses it.
`format_answer` writes an answer (for the few-shot examples), `answer_grammar` constrains
one, and `parse_answer` reads one back; the three agree by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from crane_bench.runtime.planners.examples.examples import LABELS, Example, Label
from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.tools.plugin import NONE_LABEL, ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

MAX_TITLE_CHARS: Final = 120
MAX_TITLE_WORDS: Final = 80
MAX_ID_DIGITS: Final = 9
MAX_OPERATORS: Final = 8
CONSTANTS: Final = ("1", "2", "3", "10", "12", "60", "100", "1000")
"""Operands any expression may use besides the clause's own numbers: what "half",
"squared", "a dozen", "percent" or "hours in minutes" stand for."""

ID_PREFIX: Final = "Id: "
TITLE_PREFIX: Final = "Title: "
EXPRESSION_PREFIX: Final = "Expression: "

_INTEGER: Final = re.compile(r"(?<![\w.])-?\d+(?![\d.]\d)")
_NUMBER: Final = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]\d)|\d+(?:\.\d+)?")


def label_text(label: Label) -> str:
    """How a label opens an answer: `no` for `none`, else `yes` and the label."""
    return "no" if label == NONE_LABEL else f"yes\n{label}"


LABEL_TEXT: Final[dict[Label, str]] = {label: label_text(label) for label in LABELS}
"""How each built-in label opens an answer."""
_ORDINAL_WORDS: Final = (
    ("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("fifth", 5),
    ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9), ("tenth", 10),
)  # fmt: skip
_ORDINALS: Final = dict(_ORDINAL_WORDS)
_ORDINAL: Final = re.compile(rf"\b(?:{'|'.join(_ORDINALS)})\b", re.IGNORECASE)
_QUOTES: Final = "\"'`“”‘’"
_CLOSERS: Final = _QUOTES + ".,;:!?"
_GBNF_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Arithmetic only, over the numbers the clause names (`clause_numbers`), so a small
# model can neither invent operands nor spin out digits. × ÷ − may be copied as typed:
# the calculator reads them. Spaces are optional around an
# operator only, which keeps few parse states alive at once: llama.cpp checks every
# vocabulary token against each of them at every step.
_EXPRESSION_RULES: Final = f"""
expr ::= operand (ws binop ws operand){{0,{MAX_OPERATORS}}}
operand ::= "-"? atom
atom ::= number | "(" expr ")" | func "(" expr (", " expr){{0,3}} ")" | "pi"
func ::= "sqrt" | "abs" | "round" | "min" | "max"
binop ::= "+" | "-" | "*" | "/" | "**" | "//" | "%" | "×" | "÷" | "−"
ws ::= " "?
""".strip()

_FREE_TITLE_RULE: Final = f"title ::= [^\\n\\r]{{1,{MAX_TITLE_CHARS}}}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the model answered for one clause."""

    label: Label
    expression: str | None = None
    id: int | None = None
    title: str | None = None


def gbnf_literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    return '"' + "".join(_GBNF_ESCAPES.get(char, char) for char in text) + '"'


def clause_ids(clause: str) -> list[int]:
    """The integers a clause names, in order and without repeats.

    Digits, number words and ordinals count: "task two" and "the second task" give [2].
    """
    found: list[int] = []
    for text in (clause, replace_number_words(clause)):
        for match in _INTEGER.finditer(text):
            value = int(match.group())
            if value not in found and len(match.group().lstrip("-")) <= MAX_ID_DIGITS:
                found.append(value)
    for match in _ORDINAL.finditer(clause):
        value = _ORDINALS[match.group().lower()]
        if value not in found:
            found.append(value)
    return found


def named_numbers(clause: str) -> list[str]:
    """The numbers a clause names, as an expression writes them ("1,250" -> "1250").

    Number words count: "twelve" gives "12".
    """
    found: list[str] = []
    for text in (clause, replace_number_words(clause)):
        for match in _NUMBER.finditer(text):
            number = match.group().replace(",", "")
            if number not in found:
                found.append(number)
    return found


def clause_numbers(clause: str) -> list[str]:
    """The operands an expression for `clause` may use: its own numbers and `CONSTANTS`."""
    named = named_numbers(clause)
    return named + [constant for constant in CONSTANTS if constant not in named]


def format_answer(example: Example) -> str:
    """The answer an example stands for, as the model should write it (no final newline)."""
    return format_fields(
        example.label, expression=example.expression, id=example.id, title=example.title
    )


def format_fields(
    label: Label,
    *,
    expression: str | None = None,
    id: int | None = None,
    title: str | None = None,
) -> str:
    """An answer's text from its parts (no final newline)."""
    lines = [label_text(label)]
    if expression is not None:
        lines.append(EXPRESSION_PREFIX + expression)
    if id is not None:
        lines.append(f"{ID_PREFIX}{id}")
    if title is not None:
        lines.append(TITLE_PREFIX + " ".join(title.split()))
    return "\n".join(lines)


def allowed_labels(
    ids: Sequence[int],
    has_number: bool,
    labels: Iterable[Label] = LABELS,
    plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
) -> list[Label]:
    """The labels a clause can take.

    Those needing an id only when there is one to give, and those that need a number
    (`LabelSpec.needs_number`: the calculator) only when the clause names one: an
    expression of constants alone would be made up.
    """
    allowed = []
    for label in labels:
        declared = plugins.label(label)
        spec = declared[1] if declared is not None else None
        needs_id = spec is not None and "id" in spec.fields
        needs_number = spec is not None and spec.needs_number
        if (ids or not needs_id) and (has_number or not needs_number):
            allowed.append(label)
    return allowed


def _endings(word: str) -> list[str]:
    """A word as the last of a title: as typed, or without a closing quote or stop."""
    forms = (word, word.rstrip(_QUOTES), word.rstrip(_CLOSERS))
    return [gbnf_literal(form) for form in dict.fromkeys(form for form in forms if form)]


def _title_rules(clause: str, copy_titles: bool) -> list[str]:
    words = clause.split()[:MAX_TITLE_WORDS]
    if not copy_titles or not words:
        return [_FREE_TITLE_RULE]
    # start-i: a title that starts at word i; rest-j: its words from j on. The first word
    # may shed an opening quote and the last a closing quote or stop ("'pay rent'." may
    # be copied as pay rent); words in between are copied exactly.
    last = len(words) - 1
    starts, rules = [], []
    for i, word in enumerate(words):
        alternatives = []
        for opened in dict.fromkeys(form for form in (word, word.lstrip(_QUOTES)) if form):
            alternatives += _endings(opened)
            if i < last:
                alternatives.append(f"{gbnf_literal(opened + ' ')} rest{i + 1}")
        rules.append(f"start{i} ::= " + " | ".join(dict.fromkeys(alternatives)))
        starts.append(f"start{i}")
        if i > 0:
            rest = _endings(word)
            if i < last:
                rest.append(f"{gbnf_literal(word + ' ')} rest{i + 1}")
            rules.append(f"rest{i} ::= " + " | ".join(rest))
    return ["title ::= " + " | ".join(starts), *rules]


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
    label_fields = plugins.label_fields
    if not offered:
        raise ValueError("no label to offer for this clause")
    alternatives = []
    needs: set[str] = set()
    for label in offered:
        fields = label_fields[label]
        parts = [gbnf_literal(label_text(label))]
        if "expression" in fields:
            parts.append(gbnf_literal("\n" + EXPRESSION_PREFIX) + " expr")
        if "id" in fields:
            parts.append(gbnf_literal("\n" + ID_PREFIX) + " id")
        if "title" in fields:
            parts.append(gbnf_literal("\n" + TITLE_PREFIX) + " title")
        alternatives.append(" ".join(parts))
        needs |= fields
    start = f"{gbnf_literal(lead)} " if lead else ""
    finish = f" {gbnf_literal(end)}" if end else ""
    rules = [f"root ::= {start}({' | '.join(alternatives)}){finish}"]
    if "expression" in needs:
        rules.append(_EXPRESSION_RULES)
        ordered = sorted(clause_numbers(clause), key=len, reverse=True)
        rules.append("number ::= " + " | ".join(gbnf_literal(n) for n in ordered))
    if "id" in needs:
        rules.append("id ::= " + " | ".join(gbnf_literal(str(value)) for value in ids))
    if "title" in needs:
        rules.extend(_title_rules(clause, copy_titles))
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
    fields: dict[str, str] = {}
    for line in lines[label_text(label).count("\n") + 1 :]:
        for name, prefix in (
            ("expression", EXPRESSION_PREFIX),
            ("id", ID_PREFIX),
            ("title", TITLE_PREFIX),
        ):
            if line.startswith(prefix.strip()):
                fields[name] = line[len(prefix.strip()) :].strip()
                break
        else:
            raise ValueError(f"unexpected line in answer: {line[:80]!r}")
    if set(fields) != plugins.label_fields[label]:
        raise ValueError(f"answer {label!r} has fields {sorted(fields)}")
    return Answer(
        label=label,
        expression=fields.get("expression"),
        id=int(fields["id"]) if "id" in fields else None,
        title=fields.get("title"),
    )
