"""The plan schema, the system prompt and the output-mode choice of the LLM planner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from runtime.models import MAX_PLAN_STEPS, Plan
from runtime.planners.prompting import (
    MAX_STRING_LENGTH,
    build_plan_schema,
    build_system_prompt,
    is_loopback_url,
    resolve_response_format,
    response_format_kwargs,
    tighten_schema,
)
from runtime.planners.validation import validate_plan
from runtime.tools import CalculatorTool, ToolRegistry, default_tools


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
    assert [b["properties"]["tool"]["enum"] for b in branches] == [["calculator"], ["todo_store"]]
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
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.5.5.5/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://192.168.1.20:8000/v1", False),
        ("http://10.0.0.1/v1", False),
        ("http://localhost.example.com/v1", False),
        (None, False),
        ("", False),
    ],
)
def test_is_loopback_url(url: str | None, expected: bool) -> None:
    assert is_loopback_url(url) is expected


@pytest.mark.parametrize(
    ("mode", "url", "expected"),
    [
        ("auto", "http://127.0.0.1:8080/v1", "llama_cpp"),
        ("auto", "https://api.openai.com/v1", "json_schema"),
        ("auto", None, "json_schema"),
        ("json_object", "http://127.0.0.1:8080/v1", "json_object"),
        ("none", "https://api.openai.com/v1", "none"),
        ("llama_cpp", "https://example.test/v1", "llama_cpp"),
    ],
)
def test_resolve_response_format(mode: Any, url: str | None, expected: str) -> None:
    assert resolve_response_format(mode, url) == expected


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
