"""What a tool declares about itself, so that no planner, eval or load test names it.

A tool plug-in is one object (`ToolPlugin`) in the tool's own package. It gives:

- the tool itself: `name`, `input_model`, `make()` (a fresh tool per run);
- its cue: `signal(text)` (the text names the tool's object: a number with an
  operation on it, the todo list), `cue(text, action, refers_back)` (a step of that
  action would be believed from the text), `asks_for(text, refers_back)` (some step of
  this tool would be) and `referent(text)` (the text names an object a later "it" may
  point to);
- the pattern planner's readers (`rules`), each with an `order`: the readers of every
  plug-in are tried in one ascending order, so a tool can go before or after another's;
- the model's labels (`labels`: name, answer fields, the one-line description used in
  the decomposed planner's instructions), the answer fields it introduces with their
  grammar fragments (`answer_fields`), its example bank file (`examples`), the one-shot
  planner's example plans (`plan_examples`), and whether the model is shown it always
  or only for text its cue matches (`offered`);
- `check(tool_input)`: why a plan step that validates still cannot run (the hybrid's
  plan check), or None;
- `category`: the gold-case category and the load-prompt kind of its single-tool
  prompts, and `load_prompts`, the templates a load run draws from.

`ToolPlugins` is an ordered, read-only collection of them; the order is the order of
labels, examples and load prompts. The built-in set is `registry.BUILTIN_TOOL_PLUGINS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, JsonValue

from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools.base import Tool, ToolRegistry

Offered = Literal["always", "when_cued"]
"""When the model is shown a tool: on every request, or only for text its cue matches.

A tool offered `when_cued` adds its labels, examples and one-shot schema to a request
only when its `signal` (one-shot) or `cue` (per clause) matches: requests that do not
concern it are exactly what they would be without it.
"""

NONE_LABEL: Final = "none"
"""The label of a clause that asks for no tool; no plug-in may declare it."""

Inputs = list[dict[str, JsonValue]]
"""What a rule reader makes of one clause: one tool input per step."""


@dataclass(frozen=True, slots=True)
class FieldContext:
    """What an answer field's grammar may depend on: the clause being answered.

    Attributes:
        clause: The clause's text.
        ids: The integers an `id`-like field may take (the clause's, or an earlier one's
            for a pronoun).
        copy_titles: Free-text fields copy a run of the clause's words.
    """

    clause: str
    ids: tuple[int, ...] = ()
    copy_titles: bool = False


def _as_text(value: JsonValue) -> str:
    return str(value)


def _same_text(text: str) -> JsonValue:
    return text


@dataclass(frozen=True, slots=True)
class AnswerField:
    """One field of a model's answer: its line, its grammar fragment, how it is read.

    An answer writes the field on one line, `prefix` then the value; the grammar allows
    there what `symbol` derives, with the rules `rules(context)` gives (GBNF lines, which
    define `symbol` and any helper rule; name helpers after the tool so two tools'
    fragments never clash).

    Attributes:
        name: The field's name, and the tool input key it fills.
        prefix: How its line opens (`"Expression: "`).
        symbol: The grammar rule its value is (`expr`).
        rules: The grammar rules of the value, for one clause.
        parse: The answer's text to the input value (raises ValueError if it is none).
        write: An input value as the answer writes it (for the few-shot examples).
        needs_ids: A label with this field is offered only when there is an id to give.
    """

    name: str
    prefix: str
    symbol: str
    rules: Callable[[FieldContext], Sequence[str]]
    parse: Callable[[str], JsonValue] = _same_text
    write: Callable[[JsonValue], str] = _as_text
    needs_ids: bool = False


@dataclass(frozen=True, slots=True)
class PlanExample:
    """One example the one-shot planner is shown: a request and its whole plan.

    Shown only when every tool its steps call is offered.
    """

    request: str
    steps: tuple[Mapping[str, JsonValue], ...]


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """One label the model may answer with: a call of one tool (with one action).

    Attributes:
        name: The label as the model writes it (`calculator`, `todo_add`).
        description: What it means, one short phrase for the model's instructions.
        fields: The names of the answer fields it takes (declared by its plug-in or
            another in the set); each becomes the tool input key of the same name. An
            answer writes them in the order the plug-ins declare the fields.
        action: The tool's `action` input this label fixes (None: no action field).
        needs_number: Offered only when the clause names a number (an expression of
            constants alone would be made up).
    """

    name: str
    description: str
    fields: tuple[str, ...] = ()
    action: str | None = None
    needs_number: bool = False


@dataclass(frozen=True, slots=True)
class RuleReader:
    """One reader of the pattern planner: clause text to tool inputs, or None.

    Attributes:
        order: Readers of all plug-ins are tried in ascending order; the first that
            reads a clause serves it.
        name: What the reader reads, for people.
        read: The reader.
    """

    order: int
    name: str
    read: Callable[[str], Inputs | None]


@dataclass(frozen=True, slots=True)
class LoadPrompt:
    """One load-test prompt template (`{slots}` as `load.prompts.fill` fills them)."""

    text: str
    expect: Literal["completed", "failed"] = "completed"


@runtime_checkable
class ToolPlugin(Protocol):
    """Everything the planners, evals and load tests know about one tool."""

    @property
    def name(self) -> str:
        """The tool's name in plans."""
        ...

    @property
    def category(self) -> str:
        """Gold-case category and load-prompt kind of prompts for this tool alone."""
        ...

    @property
    def signal_name(self) -> str:
        """The name of its cue (`arithmetic`, `todo`), as `planners.signals.signals` says it."""
        ...

    @property
    def input_model(self) -> type[BaseModel]:
        """The tool's input model."""
        ...

    @property
    def labels(self) -> tuple[LabelSpec, ...]:
        """The model's labels for this tool, in the order they are offered."""
        ...

    @property
    def answer_fields(self) -> tuple[AnswerField, ...]:
        """The answer fields this tool's labels introduce, in the order answers write them."""
        ...

    @property
    def offered(self) -> Offered:
        """Whether the model is shown this tool always, or only when its cue matches."""
        ...

    @property
    def plan_examples(self) -> tuple[PlanExample, ...]:
        """Whole-plan examples for the one-shot planner."""
        ...

    @property
    def rules(self) -> tuple[RuleReader, ...]:
        """The pattern planner's readers for this tool."""
        ...

    @property
    def examples(self) -> Path | None:
        """The example bank file of this tool's labels (a YAML list), if any."""
        ...

    @property
    def load_prompts(self) -> tuple[LoadPrompt, ...]:
        """Load-test templates of prompts for this tool alone."""
        ...

    def make(self) -> Tool[Any]:
        """A fresh tool (tools may hold run state: one per run)."""
        ...

    def signal(self, text: str) -> bool:
        """True when `text` names this tool's object (its cue)."""
        ...

    def cue(self, text: str, action: object, refers_back: bool) -> bool:
        """True when a step of this tool (and `action`, if any) is believed from `text`."""
        ...

    def asks_for(self, text: str, refers_back: bool) -> bool:
        """True when some step of this tool would be believed from `text`."""
        ...

    def referent(self, text: str) -> bool:
        """True when `text` names an object a later pronoun may point to."""
        ...

    def check(self, tool_input: BaseModel) -> str | None:
        """Why a validated input still cannot run, or None (the hybrid's plan check)."""
        ...


def _never(_text: str) -> bool:
    return False


def _no_problem(_tool_input: BaseModel) -> str | None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDeclaration:
    """A `ToolPlugin` made of plain values and functions: how a tool package declares itself.

    `cue` defaults to `signal` (the action is ignored), `asks_for` to `signal`.
    """

    name: str
    category: str
    input_model: type[BaseModel]
    factory: Callable[[], Tool[Any]]
    labels: tuple[LabelSpec, ...]
    signal_fn: Callable[[str], bool]
    signal_name: str
    rules: tuple[RuleReader, ...] = ()
    answer_fields: tuple[AnswerField, ...] = ()
    offered: Offered = "always"
    plan_examples: tuple[PlanExample, ...] = ()
    examples: Path | None = None
    load_prompts: tuple[LoadPrompt, ...] = ()
    cue_fn: Callable[[str, object, bool], bool] | None = None
    asks_for_fn: Callable[[str, bool], bool] | None = None
    referent_fn: Callable[[str], bool] = _never
    check_fn: Callable[[BaseModel], str | None] = _no_problem

    def make(self) -> Tool[Any]:
        """A fresh tool."""
        return self.factory()

    def signal(self, text: str) -> bool:
        """True when `text` names this tool's object."""
        return self.signal_fn(text)

    def cue(self, text: str, action: object, refers_back: bool) -> bool:
        """True when a step of this tool (and `action`) is believed from `text`."""
        if self.cue_fn is None:
            return self.signal_fn(text)
        return self.cue_fn(text, action, refers_back)

    def asks_for(self, text: str, refers_back: bool) -> bool:
        """True when some step of this tool would be believed from `text`."""
        if self.asks_for_fn is None:
            return self.signal_fn(text)
        return self.asks_for_fn(text, refers_back)

    def referent(self, text: str) -> bool:
        """True when `text` names an object a later pronoun may point to."""
        return self.referent_fn(text)

    def check(self, tool_input: BaseModel) -> str | None:
        """Why a validated input still cannot run, or None."""
        return self.check_fn(tool_input)


class ToolPlugins(Sequence[ToolPlugin]):
    """An ordered, read-only set of tool plug-ins, and what follows from them.

    Raises:
        ValueError: Two plug-ins share a tool name, a label or an answer field name, one
            declares `none`, or a label takes a field no plug-in declares.
    """

    def __init__(self, plugins: Iterable[ToolPlugin]) -> None:
        self._plugins: tuple[ToolPlugin, ...] = tuple(plugins)
        self._by_name: dict[str, ToolPlugin] = {}
        self._labels: dict[str, tuple[ToolPlugin, LabelSpec]] = {}
        self._fields: dict[str, AnswerField] = {}
        for plugin in self._plugins:
            if plugin.name in self._by_name:
                raise ValueError(f"duplicate tool plug-in {plugin.name!r}")
            self._by_name[plugin.name] = plugin
            for spec in plugin.labels:
                if spec.name == NONE_LABEL or spec.name in self._labels:
                    raise ValueError(f"tool {plugin.name!r}: label {spec.name!r} is taken")
                self._labels[spec.name] = (plugin, spec)
            for answer_field in plugin.answer_fields:
                if self._fields.get(answer_field.name, answer_field) != answer_field:
                    raise ValueError(
                        f"tool {plugin.name!r}: answer field {answer_field.name!r} is taken"
                    )
                self._fields[answer_field.name] = answer_field
        for plugin, spec in self._labels.values():
            for name in spec.fields:
                if name not in self._fields:
                    raise ValueError(
                        f"tool {plugin.name!r}: label {spec.name!r} takes the undeclared "
                        f"answer field {name!r}"
                    )

    def __getitem__(self, index: int) -> ToolPlugin:  # type: ignore[override]
        return self._plugins[index]

    def __len__(self) -> int:
        return len(self._plugins)

    def __iter__(self) -> Iterator[ToolPlugin]:
        return iter(self._plugins)

    def get(self, name: str) -> ToolPlugin | None:
        """The plug-in of the tool `name`, or None."""
        return self._by_name.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        """The tools' names, in order."""
        return tuple(self._by_name)

    @property
    def categories(self) -> tuple[str, ...]:
        """The tools' case categories, in order, without repeats."""
        return tuple(dict.fromkeys(plugin.category for plugin in self._plugins))

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label, in plug-in order, then `none`."""
        return (*self._labels, NONE_LABEL)

    @property
    def answer_fields(self) -> tuple[AnswerField, ...]:
        """Every declared answer field, in plug-in order: the order answers write them."""
        return tuple(self._fields.values())

    def label_answer_fields(self, label: str) -> tuple[AnswerField, ...]:
        """The answer fields of a label, in writing order (`none`, unknown: none)."""
        declared = self._labels.get(label)
        names = declared[1].fields if declared is not None else ()
        return tuple(f for f in self._fields.values() if f.name in names)

    def offered_for(self, text: str) -> ToolPlugins:
        """The plug-ins whose tools the model is shown for `text`.

        Those offered `always`, and those offered `when_cued` whose `signal` matches.
        """
        shown = [p for p in self._plugins if p.offered == "always" or p.signal(text)]
        return self if len(shown) == len(self._plugins) else ToolPlugins(shown)

    @property
    def always_offered(self) -> frozenset[str]:
        """The names of the tools offered on every request."""
        return frozenset(p.name for p in self._plugins if p.offered == "always")

    def label(self, name: str) -> tuple[ToolPlugin, LabelSpec] | None:
        """The plug-in and spec of a label; None for `none` or an unknown label."""
        return self._labels.get(name)

    @property
    def label_fields(self) -> Mapping[str, frozenset[str]]:
        """The answer fields of every label (`none`: none)."""
        fields = {name: frozenset(spec.fields) for name, (_, spec) in self._labels.items()}
        return {**fields, NONE_LABEL: frozenset()}

    def rule_readers(self) -> list[tuple[ToolPlugin, RuleReader]]:
        """Every plug-in's readers, in ascending `order` (ties: plug-in order)."""
        readers = [(plugin, reader) for plugin in self._plugins for reader in plugin.rules]
        return sorted(readers, key=lambda pair: pair[1].order)

    def make_tools(self) -> ToolRegistry:
        """A fresh registry of every plug-in's tool, for one run."""
        return ToolRegistry(plugin.make() for plugin in self._plugins)

    def label_step(self, label: str, answer: Mapping[str, JsonValue]) -> PlanStep | None:
        """The plan step of a label and its answer fields; None for `none`.

        Raises:
            KeyError: The label is not declared.
        """
        if label == NONE_LABEL:
            return None
        plugin, spec = self._labels[label]
        data: dict[str, JsonValue] = {} if spec.action is None else {"action": spec.action}
        for name in spec.fields:
            value = answer.get(name)
            if value is not None:
                data[name] = value
        return PlanStep(tool=plugin.name, input=data)
