"""The standard tool set: what planners see of it, and how the registry guards names."""

from __future__ import annotations

import pytest

from crane_bench.runtime.errors import ToolInputError, UnknownToolError
from crane_bench.runtime.tools import (
    CalculatorInput,
    CalculatorTool,
    TodoInput,
    TodoTool,
    Tool,
    ToolRegistry,
    default_tools,
)
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS


def test_default_tools_are_every_builtin_plugins_calculator_and_todo_store_first() -> None:
    registry = default_tools()
    assert list(registry) == list(BUILTIN_TOOL_PLUGINS.names)  # one per tool package
    assert list(registry)[:2] == ["calculator", "todo_store"]
    assert isinstance(registry["calculator"], CalculatorTool)
    assert isinstance(registry["todo_store"], TodoTool)


@pytest.mark.parametrize("tool", [CalculatorTool(), TodoTool()])
def test_tools_follow_the_protocol(tool: Tool[CalculatorInput] | Tool[TodoInput]) -> None:
    assert isinstance(tool, Tool)
    assert tool.description


def test_describe_lists_every_tool_with_json_schemas() -> None:
    described = {entry["name"]: entry for entry in default_tools().describe()}
    assert set(described) == set(BUILTIN_TOOL_PLUGINS.names)

    calculator = described["calculator"]
    assert calculator["description"] == CalculatorTool.description
    schema = calculator["input_schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["expression"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["expression"]["maxLength"] == 500

    todo = described["todo_store"]["input_schema"]
    assert todo["required"] == ["action"]
    assert todo["additionalProperties"] is False
    assert todo["properties"]["action"]["enum"] == [
        "add",
        "list",
        "get",
        "update",
        "complete",
        "delete",
    ]
    assert set(todo["properties"]) == {"action", "title", "id"}


def test_parse_input_builds_each_tools_model() -> None:
    registry = default_tools()
    assert registry.parse_input("calculator", {"expression": "1 + 1"}) == CalculatorInput(
        expression="1 + 1"
    )
    assert registry.parse_input("todo_store", {"action": "list"}) == TodoInput(action="list")


def test_calculator_input_errors_are_tool_input_errors() -> None:
    with pytest.raises(ToolInputError) as info:
        default_tools().parse_input("calculator", {"expr": "1"})
    assert str(info.value) == (
        "calculator: expression: Field required; expr: Extra inputs are not permitted"
    )


def test_unknown_tool() -> None:
    registry = default_tools()
    with pytest.raises(UnknownToolError, match=r"unknown tool 'weather' \(known: calculator"):
        registry["weather"]
    with pytest.raises(UnknownToolError):
        registry.parse_input("weather", {})


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate tool name 'calculator'"):
        ToolRegistry([CalculatorTool(), CalculatorTool()])
