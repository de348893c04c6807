"""The example bank: short clauses with the tool call each one asks for.

The decomposed LLM planner shows a small model the bank entries most similar to the
clause it is deciding (`similarity.py`), so the model mostly has to follow a pattern
rather than reason. The bank is invented for the planner; it shares no prompt with the
evaluation suite or the planner's development set (a test checks both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools.base import format_validation_error

Label = Literal[
    "calculator",
    "todo_add",
    "todo_list",
    "todo_get",
    "todo_update",
    "todo_complete",
    "todo_delete",
    "none",
]
"""What one clause asks for: a tool call (the todo ones by action), or none."""

LABELS: Final[tuple[Label, ...]] = (
    "calculator",
    "todo_add",
    "todo_list",
    "todo_get",
    "todo_update",
    "todo_complete",
    "todo_delete",
    "none",
)

DEFAULT_BANK_PATH: Final = Path(__file__).with_name("bank.yaml")

# Which arguments each label takes; any other is refused so the bank stays consistent.
LABEL_FIELDS: Final[dict[Label, frozenset[str]]] = {
    "calculator": frozenset({"expression"}),
    "todo_add": frozenset({"title"}),
    "todo_list": frozenset(),
    "todo_get": frozenset({"id"}),
    "todo_update": frozenset({"id", "title"}),
    "todo_complete": frozenset({"id"}),
    "todo_delete": frozenset({"id"}),
    "none": frozenset(),
}
NEEDS_ID: Final = frozenset(label for label, fields in LABEL_FIELDS.items() if "id" in fields)


class Example(BaseModel):
    """One clause and the tool call it asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    text: str = Field(min_length=1, max_length=300)
    """The clause, as a user would type it (without leading fillers like "please")."""

    label: Label
    """The tool call it asks for, or `none`."""

    expression: str | None = Field(None, min_length=1, max_length=200)
    """Calculator expression (calculator only)."""

    title: str | None = Field(None, min_length=1, max_length=200)
    """Todo title (todo_add, todo_update)."""

    id: int | None = None
    """Todo id (todo_get, todo_update, todo_complete, todo_delete)."""

    @model_validator(mode="after")
    def _fields_fit_label(self) -> Self:
        given = {name for name in ("expression", "title", "id") if getattr(self, name) is not None}
        needed = LABEL_FIELDS[self.label]
        if given != needed:
            want = ", ".join(sorted(needed)) or "no arguments"
            raise ValueError(f"label {self.label!r} takes {want}")
        return self

    def to_step(self) -> PlanStep | None:
        """The plan step this example stands for; None for `none`."""
        return label_step(self.label, expression=self.expression, title=self.title, id=self.id)


def label_step(
    label: Label,
    *,
    expression: str | None = None,
    title: str | None = None,
    id: int | None = None,
) -> PlanStep | None:
    """The plan step for a label and its arguments; None for `none`."""
    if label == "none":
        return None
    if label == "calculator":
        return PlanStep(tool="calculator", input={"expression": expression})
    action = label.removeprefix("todo_")
    data: dict[str, str | int | None] = {"action": action, "id": id, "title": title}
    return PlanStep(
        tool="todo_store", input={key: value for key, value in data.items() if value is not None}
    )


def load_bank(path: Path = DEFAULT_BANK_PATH) -> tuple[Example, ...]:
    """Read and validate an example bank file (a YAML list of examples).

    Args:
        path: The bank file; the planner's own bank by default.

    Raises:
        ConfigError: The file is missing, not YAML, or an entry is malformed.
    """
    try:
        # libyaml's loader (in PyYAML's wheels) reads it about eight times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe
    except OSError as exc:
        raise ConfigError(f"cannot read example bank {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"example bank {path} is not valid YAML: {exc}") from None
    try:
        return tuple(_EXAMPLES.validate_python(data))
    except ValidationError as exc:
        raise ConfigError(f"example bank {path}: {format_validation_error(exc)[:300]}") from None


_EXAMPLES: Final = TypeAdapter(list[Example])
