"""The `Tool` protocol and the registry that planners and the orchestrator share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, JsonValue, ValidationError

from crane_bench.runtime.errors import ToolInputError, UnknownToolError

InputT = TypeVar("InputT", bound=BaseModel)


@runtime_checkable
class Tool(Protocol[InputT]):
    """A capability a plan can call.

    Attributes:
        name: Unique name that plans use.
        description: One sentence for planners: what the tool does and when to use it.
        input_model: Pydantic model of the input; its JSON schema is what planners see.
    """

    name: str
    description: str
    input_model: type[InputT]

    async def run(self, tool_input: InputT) -> JsonValue:
        """Do the work. Raises `ToolError` (or a subclass) when the input is refused."""
        ...


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem, `field: message`, for users rather than developers."""
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "input"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class ToolRegistry(Mapping[str, Tool[Any]]):
    """Read-only name -> tool mapping, built once per run (tools may hold run state)."""

    def __init__(self, tools: Iterable[Tool[Any]]) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            self._tools[tool.name] = tool

    def __getitem__(self, name: str) -> Tool[Any]:
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools))
            raise UnknownToolError(f"unknown tool {name!r} (known: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def parse_input(self, name: str, raw: Mapping[str, JsonValue]) -> BaseModel:
        """Validate a plan step's raw input against the named tool's input model.

        Raises:
            UnknownToolError: No tool has that name.
            ToolInputError: The input does not fit the tool's model.
        """
        tool = self[name]
        try:
            parsed: BaseModel = tool.input_model.model_validate(dict(raw))
        except ValidationError as exc:
            raise ToolInputError(f"{name}: {format_validation_error(exc)}") from None
        return parsed

    def describe(self) -> list[dict[str, Any]]:
        """Name, description and input JSON schema of every tool, for planner prompts."""
        return [
            {
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.input_model.model_json_schema(),
            }
            for tool in self._tools.values()
        ]
