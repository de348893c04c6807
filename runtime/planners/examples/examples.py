"""The example bank: short clauses with the tool call each one asks for.

The decomposed LLM planner shows a small model the bank entries most similar to the
clause it is deciding (`similarity.py`), so the model mostly has to follow a pattern
rather than reason. The bank is each tool's examples (the file its plug-in names, in
plug-in order), then those of `none` (`none.yaml` here). It is invented for the
planner; it shares no prompt with the evaluation suite or the planner's development set
(a test checks both).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools.base import format_validation_error
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

Label = str
"""What one clause asks for: a label a tool plug-in declares (`calculator`, `todo_add`),
or `none`."""

LABELS: Final[tuple[Label, ...]] = BUILTIN_TOOL_PLUGINS.labels
"""The built-in tools' labels, in plug-in order, then `none`."""

NONE_EXAMPLES_PATH: Final = Path(__file__).with_name("none.yaml")
"""The examples of `none`; each tool's own are in its package (`ToolPlugin.examples`)."""

# Which arguments each label takes; any other is refused so the bank stays consistent.
LABEL_FIELDS: Final[Mapping[Label, frozenset[str]]] = BUILTIN_TOOL_PLUGINS.label_fields
NEEDS_ID: Final = frozenset(label for label, fields in LABEL_FIELDS.items() if "id" in fields)


class Example(BaseModel):
    """One clause and the tool call it asks for.

    The built-in answer fields (`expression`, `title`, `id`) are typed here; a field
    another plug-in declares (a unit converter's `value`) is given as a key of its own,
    and accepted only when the example's label takes it.
    """

    model_config = ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)

    text: str = Field(min_length=1, max_length=300)
    """The clause, as a user would type it (without leading fillers like "please")."""

    label: Label
    """The tool call it asks for (a label a tool plug-in declares), or `none`."""

    expression: str | None = Field(None, min_length=1, max_length=200)
    """Calculator expression (calculator only)."""

    title: str | None = Field(None, min_length=1, max_length=200)
    """Todo title (todo_add, todo_update)."""

    id: int | None = None
    """Todo id (todo_get, todo_update, todo_complete, todo_delete)."""

    @model_validator(mode="after")
    def _fields_fit_label(self, info: ValidationInfo) -> Self:
        plugins = _plugins(info)
        fields = plugins.label_fields
        if self.label not in fields:
            raise ValueError(f"unknown label {self.label!r} (known: {', '.join(plugins.labels)})")
        given = set(self.arguments())
        needed = fields[self.label]
        if given != needed:
            want = ", ".join(sorted(needed)) or "no arguments"
            raise ValueError(f"label {self.label!r} takes {want}")
        return self

    def arguments(self) -> dict[str, JsonValue]:
        """The answer fields given, by name (None values left out)."""
        typed = {"expression": self.expression, "title": self.title, "id": self.id}
        extra: dict[str, JsonValue] = dict(self.model_extra or {})
        return {name: value for name, value in {**typed, **extra}.items() if value is not None}

    def to_step(self, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> PlanStep | None:
        """The plan step this example stands for; None for `none`."""
        return plugins.label_step(self.label, self.arguments())


def _plugins(info: ValidationInfo) -> ToolPlugins:
    context = info.context
    plugins = context.get(_PLUGINS) if isinstance(context, dict) else None
    return plugins if isinstance(plugins, ToolPlugins) else BUILTIN_TOOL_PLUGINS


def label_step(
    label: Label, *, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS, **values: JsonValue
) -> PlanStep | None:
    """The plan step for a label and its answer fields' values; None for `none`.

    Raises:
        KeyError: No plug-in declares the label.
    """
    return plugins.label_step(label, values)


def bank_files(plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> list[Path]:
    """The example files of every plug-in, in plug-in order, then those of `none`."""
    return [*(p.examples for p in plugins if p.examples is not None), NONE_EXAMPLES_PATH]


def load_bank(
    path: Path | None = None, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS
) -> tuple[Example, ...]:
    """Read and validate an example bank: one file, or every plug-in's and `none`'s.

    Args:
        path: A bank file (a YAML list of examples); by default the files of
            `bank_files(plugins)`, joined in that order.
        plugins: The tools whose labels the examples may use.

    Raises:
        ConfigError: A file is missing, not YAML, or an entry is malformed.
    """
    if path is None:
        return tuple(e for file in bank_files(plugins) for e in load_bank(file, plugins))
    try:
        # libyaml's loader (in PyYAML's wheels) reads it about eight times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe
    except OSError as exc:
        raise ConfigError(f"cannot read example bank {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"example bank {path} is not valid YAML: {exc}") from None
    try:
        return tuple(_EXAMPLES.validate_python(data, context={_PLUGINS: plugins}))
    except ValidationError as exc:
        raise ConfigError(f"example bank {path}: {format_validation_error(exc)[:300]}") from None


_EXAMPLES: Final = TypeAdapter(list[Example])
_PLUGINS: Final = "tool_plugins"
"""The validation context key of the plug-ins whose labels an example may use."""
