"""Gold cases: the file format (pydantic models), its JSON schema, and the loader.

A case file is a YAML list of cases. Each case gives a prompt, the state the todo store
starts in, and the plan a correct planner makes: its ordered tool calls, and optionally
the output of the last step (`outcome`) or that executing it must fail cleanly (`fails`).
Values in `input` and `outcome` may be `{any_of: [a, b]}` where several are fair; how
values match is `evals.matching`'s business. The format is documented for people in
`evals/cases/README.md`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode

from crane_bench.evals.errors import CaseFormatError
from crane_bench.plumbing.validation import first_problem
from crane_bench.runtime.models import MAX_PLAN_STEPS
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

KNOWN_CATEGORIES: Final[tuple[str, ...]] = (
    *BUILTIN_TOOL_PLUGINS.categories,
    "multi_step",
    "abstain",
    "adversarial",
    "out_of_domain",
)
"""Each tool's own category (its plug-in's `category`), then the categories of mixes."""
CASE_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9_.-]*$"
CATEGORY_PATTERN: Final = r"^[a-z][a-z0-9_]*$"
CASE_FILE_SUFFIXES: Final = frozenset({".yaml", ".yml"})
ANY_OF: Final = "any_of"

TodoTitle = Annotated[str, Field(min_length=1, max_length=200)]


def check_any_of(value: JsonValue, where: str = "value") -> None:
    """Reject a malformed `{any_of: [...]}` anywhere inside `value`.

    Raises:
        ValueError: A mapping has `any_of` beside other keys, or its value is not a
            non-empty list.
    """
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_any_of(item, f"{where}.{i}")
    elif isinstance(value, dict):
        if ANY_OF in value:
            options = value[ANY_OF]
            if len(value) != 1:
                raise ValueError(f"{where}: any_of must be the only key of its mapping")
            if not isinstance(options, list) or not options:
                raise ValueError(f"{where}: any_of needs a non-empty list of values")
            value = {str(i): option for i, option in enumerate(options)}
            where = f"{where}.any_of"
        for key, item in value.items():
            check_any_of(item, f"{where}.{key}")


class ExpectedStep(BaseModel):
    """One tool call of the expected plan."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    tool: str = Field(min_length=1, max_length=64)
    """Registered tool name (a plug-in's `name`: `calculator`, `todo_store`); matched exactly."""

    input: dict[str, JsonValue] = Field(default_factory=dict)
    """Tool input. A calculator `expression` matches any expression of the same value;
    strings match ignoring case, extra whitespace and surrounding quotes and punctuation;
    `{any_of: [a, b]}` accepts any of the listed values."""

    @field_validator("input")
    @classmethod
    def _check_input(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        for key, item in value.items():
            check_any_of(item, key)
        return value


class ExpectedPlan(BaseModel):
    """What a correct planner answers, and what executing that plan gives."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    steps: tuple[ExpectedStep, ...] = Field(max_length=MAX_PLAN_STEPS)
    """Ordered tool calls; `[]` means the planner must call no tool (abstain)."""

    outcome: JsonValue = None
    """Output of the final step once the plan is executed; absent (null) means unchecked.
    A mapping matches when each of its keys matches (a subset); a list element-wise."""

    fails: bool = False
    """True when executing the plan must end in a clean, recorded failure (a tool refuses)."""

    @field_validator("outcome")
    @classmethod
    def _check_outcome(cls, value: JsonValue) -> JsonValue:
        check_any_of(value, "outcome")
        return value

    @model_validator(mode="after")
    def _check_consistent(self) -> Self:
        if self.fails and not self.steps:
            raise ValueError("fails: true needs at least one step that fails")
        if self.fails and self.outcome is not None:
            raise ValueError("a case that fails has no outcome; drop one of them")
        if not self.steps and self.outcome is not None:
            raise ValueError("an abstaining case (steps: []) has no outcome")
        return self


class CaseSetup(BaseModel):
    """State the tools hold before the plan runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    todos: tuple[TodoTitle, ...] = ()
    """Todo titles created in order before the plan runs; they get ids 1..n."""


class Case(BaseModel):
    """One gold case: a prompt and the plan a correct planner makes for it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(pattern=CASE_ID_PATTERN, max_length=100)
    """Unique across the suite: lower case letters, digits, `_`, `.`, `-`."""

    prompt: str = Field(min_length=1)
    """What the user types, as they would type it."""

    category: str = Field(pattern=CATEGORY_PATTERN, max_length=64, examples=list(KNOWN_CATEGORIES))
    """A tool's category (calculator, todo), or multi_step, abstain, adversarial,
    out_of_domain; others are allowed."""

    tags: tuple[str, ...] = ()
    """Free labels for slicing results (`percent`, `typo`, `unknown-id`)."""

    setup: CaseSetup = Field(default_factory=CaseSetup)
    """State before the plan runs."""

    expected: ExpectedPlan
    """The plan a correct planner makes, and what executing it gives."""

    notes: str = ""
    """Why the expected plan is right, where that is not obvious."""

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt is blank")
        return value


_CASE_LIST: Final = TypeAdapter(list[Case])


def case_json_schema() -> dict[str, Any]:
    """JSON schema of a case file: a list of `Case`."""
    schema = _CASE_LIST.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Crane Bench gold cases",
        "description": "A list of cases; see evals/cases/README.md.",
        **schema,
    }


def count_by_category(cases: Iterable[Case]) -> dict[str, int]:
    """Number of cases per category, sorted by category name."""
    counts = Counter(case.category for case in cases)
    return dict(sorted(counts.items()))


# libyaml's parser reads the gold suite about ten times faster than the pure-Python one;
# PyYAML's wheels ship it, a source build may not.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys, which PyYAML would silently overwrite."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            if isinstance(key, Hashable):
                seen.add(key)
        mapping: dict[Hashable, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _read_yaml(path: Path) -> tuple[Any, list[int]]:
    """Parse one file; return the document and the 1-based line of each top-level item."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CaseFormatError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CaseFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise CaseFormatError(f"{path}: {_yaml_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise CaseFormatError(f"{path}: YAML error: {exc}") from None
    finally:
        loader.dispose()
    lines = (
        [item.start_mark.line + 1 for item in node.value] if isinstance(node, SequenceNode) else []
    )
    return data, lines


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = exc.problem or "invalid YAML"
    if exc.context:
        at = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
        problem = f"{problem} ({exc.context}{at})"
    return f"{where}YAML error: {problem}"


def _describe(path: Path, raw: object, number: int, line: int | None) -> str:
    where = f"#{number}, line {line}" if line else f"#{number}"
    case_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(case_id, str) and case_id:
        return f"{path}: case {case_id!r} ({where})"
    return f"{path}: case {where}"


def load_case_file(path: Path) -> list[Case]:
    """Load and validate one case file.

    Raises:
        CaseFormatError: The file cannot be read, is not YAML, or a case is malformed;
            one line naming the file, the case (id, position and line) and the field.
    """
    data, lines = _read_yaml(path)
    if data is None:
        raise CaseFormatError(f"{path}: empty file; expected a list of cases")
    if not isinstance(data, list):
        raise CaseFormatError(
            f"{path}: expected a list of cases at the top level, got {type(data).__name__}"
        )
    cases: list[Case] = []
    for number, raw in enumerate(data, start=1):
        line = lines[number - 1] if number <= len(lines) else None
        if not isinstance(raw, dict):
            raise CaseFormatError(
                f"{_describe(path, raw, number, line)}: expected a mapping, "
                f"got {type(raw).__name__}"
            )
        try:
            cases.append(Case.model_validate(raw))
        except ValidationError as exc:
            problem = first_problem(exc, top="case", count_others=True)
            raise CaseFormatError(f"{_describe(path, raw, number, line)}: {problem}") from None
    return cases


def case_files(paths: Sequence[Path]) -> list[Path]:
    """The case files named by `paths`: files as given, directories' *.yaml/*.yml sorted.

    Directories are not searched recursively. A file named twice is read once.

    Raises:
        CaseFormatError: A path does not exist, or a named file is not .yaml/.yml.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix in CASE_FILE_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            if path.suffix not in CASE_FILE_SUFFIXES:
                raise CaseFormatError(f"{path}: not a .yaml or .yml file")
            found.append(path)
        else:
            raise CaseFormatError(f"{path}: no such file or directory")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def load_cases(paths: Sequence[Path]) -> list[Case]:
    """Load every case from files and directories, checking ids are unique across them.

    Raises:
        CaseFormatError: A file is missing or malformed, or two cases share an id.
    """
    cases: list[Case] = []
    first_seen: dict[str, tuple[Path, int]] = {}
    for path in case_files(paths):
        for number, case in enumerate(load_case_file(path), start=1):
            if case.id in first_seen:
                other, other_number = first_seen[case.id]
                raise CaseFormatError(
                    f"{path}: case {case.id!r} (#{number}): id: duplicate of "
                    f"{other} case #{other_number}"
                )
            first_seen[case.id] = (path, number)
            cases.append(case)
    return cases
