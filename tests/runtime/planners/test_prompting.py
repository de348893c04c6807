"""The plan schema, the system prompt and the output-mode choice of the LLM planner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from crane_bench.runtime.models import MAX_PLAN_STEPS, Plan
from crane_bench.runtime.planners.prompting import (
    MAX_STRING_LENGTH,
    build_plan_schema,
    build_system_prompt,
    resolve_response_format,
    response_format_kwargs,
    tighten_schema,
)
from crane_bench.runtime.planners.validation import validate_plan
from crane_bench.runtime.tools import CalculatorTool, ToolRegistry, default_tools


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object inside `node`."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_plan_schema_is_tight() -> None:
    schema = build_plan_schema(default_tools().describe())

    steps = schema["properties"]["steps"]
    assert steps["maxItems"] == MAX_PLAN_STEPS
    branches = steps["items"]["anyOf"]
    tools = [b["properties"]["tool"]["enum"] for b in branches]
    assert tools == [[name] for name in default_tools()]
    assert tools[:2] == [["calculator"], ["todo_store"]]
    todo_input = branches[1]["properties"]["input"]
    assert todo_input["properties"]["action"]["enum"] == [
        "add", "list", "get", "update", "complete", "delete",
    ]  # fmt: skip
    for node in walk(schema):
        assert "$ref" not in node
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
        if node.get("type") == "string" and "enum" not in node:
            assert node["maxLength"] <= MAX_STRING_LENGTH


def test_plan_schema_without_tools_allows_only_the_empty_plan() -> None:
    assert build_plan_schema([])["properties"]["steps"]["maxItems"] == 0


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class PaintInput(BaseModel):
    colour: Colour
    label: str


def test_tighten_inlines_refs_and_drops_titles() -> None:
    schema = tighten_schema(PaintInput.model_json_schema())

    assert schema["properties"]["colour"]["enum"] == ["red", "blue"]
    assert schema["properties"]["label"]["maxLength"] == MAX_STRING_LENGTH
    assert not any("title" in node or "$defs" in node for node in walk(schema))


def test_prompt_lists_tools_and_examples_that_are_valid_plans() -> None:
    tools = default_tools()

    prompt = build_system_prompt(tools.describe())

    for name in tools:
        assert f"- {name}: " in prompt
    examples = [
        line.removeprefix("Plan: ") for line in prompt.splitlines() if line.startswith("Plan: ")
    ]
    assert 2 <= len(examples) <= 5
    plans = [Plan.model_validate(json.loads(example)) for example in examples]
    for plan in plans:
        validate_plan(plan, tools)
    assert any(plan.abstains for plan in plans)


def test_prompt_shows_only_examples_for_registered_tools() -> None:
    prompt = build_system_prompt(ToolRegistry([CalculatorTool()]).describe())

    assert "todo_store" not in prompt
    assert '"calculator"' in prompt
    assert '{"steps": []}' in prompt


@pytest.mark.parametrize(
    ("mode", "server", "expected"),
    [
        ("auto", "llama-cpp-python", "llama_cpp"),
        # Ollama on localhost speaks OpenAI structured outputs: the address decides nothing.
        ("auto", "ollama", "json_schema"),
        ("auto", "llama-server", "json_schema"),
        ("auto", "vllm", "json_schema"),
        ("auto", "openai", "json_schema"),
        ("auto", "unknown", "json_schema"),
        ("json_object", "llama-cpp-python", "json_object"),
        ("none", "openai", "none"),
        ("llama_cpp", "unknown", "llama_cpp"),
    ],
)
def test_resolve_response_format(mode: Any, server: Any, expected: str) -> None:
    assert resolve_response_format(mode, server) == expected


def test_response_format_kwargs_per_mode() -> None:
    schema = {"type": "object"}

    assert response_format_kwargs("json_schema", schema) == {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "plan", "schema": schema, "strict": False},
        }
    }
    assert response_format_kwargs("llama_cpp", schema) == {
        "response_format": {"type": "json_object", "schema": schema},
        "extra_body": {"repeat_penalty": 1.0},
    }
    assert response_format_kwargs("json_object", schema) == {
        "response_format": {"type": "json_object"}
    }
    assert response_format_kwargs("none", schema) == {}
