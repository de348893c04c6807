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
  the decomposed planner's instructions) and its example bank file (`examples`);
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

AnswerField = Literal["expression", "id", "title"]
"""The fields a model's answer can carry; each has its grammar in `planners.grammars`."""

ANSWER_FIELDS: Final[tuple[AnswerField, ...]] = ("expression", "id", "title")
"""Every answer field, in the order an answer writes them."""

NONE_LABEL: Final = "none"
"""The label of a clause that asks for no tool; no plug-in may declare it."""

Inputs = list[dict[str, JsonValue]]
"""What a rule reader makes of one clause: one tool input per step."""


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """One label the model may answer with: a call of one tool (with one action).

    Attributes:
        name: The label as the model writes it (`calculator`, `todo_add`).
        description: What it means, one short phrase for the model's instructions.
        fields: The answer fields it takes, in `ANSWER_FIELDS` order; each becomes the
            tool input key of the same name.
        action: The tool's `action` input this label fixes (None: no action field).
        needs_number: Offered only when the clause names a number (an expression of
            constants alone would be made up).
    """

    name: str
    description: str
    fields: tuple[AnswerField, ...] = ()
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
        ValueError: Two plug-ins share a tool name or a label, or one declares `none`.
    """

    def __init__(self, plugins: Iterable[ToolPlugin]) -> None:
        self._plugins: tuple[ToolPlugin, ...] = tuple(plugins)
        self._by_name: dict[str, ToolPlugin] = {}
        self._labels: dict[str, tuple[ToolPlugin, LabelSpec]] = {}
        for plugin in self._plugins:
            if plugin.name in self._by_name:
                raise ValueError(f"duplicate tool plug-in {plugin.name!r}")
            self._by_name[plugin.name] = plugin
            for spec in plugin.labels:
                if spec.name == NONE_LABEL or spec.name in self._labels:
                    raise ValueError(f"tool {plugin.name!r}: label {spec.name!r} is taken")
                self._labels[spec.name] = (plugin, spec)

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
