"""What the LLM planner sends: the system prompt, the plan's JSON schema, the output mode.

The schema is built from the tools' own input schemas and made tight on purpose, because
with a grammar-constrained local model it *is* the grammar: tool names and enums are
closed sets, every object forbids extra keys, and strings and the step list are bounded
so a small model cannot ramble until it runs out of tokens. `$ref`s are inlined since
each tool schema is nested inside the plan schema, where its `#/$defs/...` would dangle.

The few-shot examples are invented and generic, declared by the tools' plug-ins
(`ToolPlugin.plan_examples`); an example is shown only when every tool it calls is
offered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from crane_bench.runtime.local_llm.server_kind import traits
from crane_bench.runtime.models import MAX_PLAN_STEPS
from crane_bench.runtime.settings import ResponseFormatMode, ServerKind
from crane_bench.runtime.tools.plugin import PlanExample, ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS

ToolDescription = Mapping[str, Any]
"""One entry of `ToolRegistry.describe()`: name, description, input_schema."""

ConcreteFormat = Literal["json_schema", "llama_cpp", "json_object", "none"]

MAX_STRING_LENGTH = 200
_MAX_REF_DEPTH = 16
_DROPPED_KEYS = frozenset({"title", "default", "examples", "$defs", "definitions"})

_NO_TOOL_EXAMPLE: Final = PlanExample("Write a short poem about the sea.", ())
"""The example of a request no tool serves; the tools' own are in their plug-ins."""


def plan_examples(plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> tuple[PlanExample, ...]:
    """The one-shot examples: every plug-in's (`ToolPlugin.plan_examples`), then a no-tool one."""
    return (*(example for plugin in plugins for example in plugin.plan_examples), _NO_TOOL_EXAMPLE)


def tighten_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a pydantic JSON schema made fit to constrain generation.

    Inlines local `$ref`s, drops titles and defaults, closes every object
    (`additionalProperties: false`) and bounds every free string to at most
    `MAX_STRING_LENGTH` characters.
    """
    defs: Mapping[str, Any] = schema.get("$defs", {})
    return _tighten(schema, defs, 0)


def _tighten(node: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if depth > _MAX_REF_DEPTH:
        raise ValueError("tool schema nests too deep (recursive $ref?)")
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        merged = {
            **defs[ref.removeprefix("#/$defs/")],
            **{k: v for k, v in node.items() if k != "$ref"},
        }
        return _tighten(merged, defs, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key == "properties":
            out[key] = {name: _tighten(sub, defs, depth + 1) for name, sub in value.items()}
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [_tighten(sub, defs, depth + 1) for sub in value]
        elif key == "items" and isinstance(value, Mapping):
            out[key] = _tighten(value, defs, depth + 1)
        else:
            out[key] = value
    if out.get("type") == "object":
        out.setdefault("additionalProperties", False)
    if out.get("type") == "string" and "enum" not in out and "const" not in out:
        # Capped even below a tool's own limit: no plan needs more, and every character
        # allowed is one a looping small model may spend.
        out["maxLength"] = min(out.get("maxLength", MAX_STRING_LENGTH), MAX_STRING_LENGTH)
    return out


def step_schema(tool: ToolDescription) -> dict[str, Any]:
    """The schema of one step that calls `tool`."""
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [tool["name"]]},
            "input": tighten_schema(tool["input_schema"]),
        },
        "required": ["tool", "input"],
        "additionalProperties": False,
    }


def build_plan_schema(tools: Sequence[ToolDescription]) -> dict[str, Any]:
    """The JSON schema of a plan over `tools`: `{"steps": [step, ...]}`.

    Each step is one of the per-tool step schemas (`anyOf`), so a tool name and its
    input travel together. With no tools, the only plan is the empty one.
    """
    steps: dict[str, Any] = {"type": "array", "maxItems": MAX_PLAN_STEPS}
    if tools:
        steps["items"] = {"anyOf": [step_schema(tool) for tool in tools]}
    else:
        steps["maxItems"] = 0
    return {
        "type": "object",
        "properties": {"steps": steps},
        "required": ["steps"],
        "additionalProperties": False,
    }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


def build_system_prompt(
    tools: Sequence[ToolDescription], examples: Sequence[PlanExample] | None = None
) -> str:
    """The system message: the task, the rules, the tools and a few examples.

    Args:
        tools: The tools offered.
        examples: The examples to choose from (by default `plan_examples()`); those that
            call a tool not offered are left out.
    """
    names = {str(tool["name"]) for tool in tools}
    lines = [
        "You are a planner. You turn a user's request into a plan of tool calls.",
        'Answer with one JSON object and nothing else: {"steps": [{"tool": NAME, '
        '"input": {...}}, ...]}.',
        "Rules:",
        "- Use only the tools below, with inputs that match their input schemas.",
        f"- List the steps in the order they must run; at most {MAX_PLAN_STEPS} steps.",
        "- Write numbers as digits and arithmetic with + - * / ** and parentheses.",
        '- If no tool fits the request, answer {"steps": []}.',
        "",
        "Tools:",
    ]
    for tool in tools:
        lines.append(f"- {tool['name']}: {tool['description']}")
        schema = tighten_schema(tool["input_schema"])
        schema.pop("description", None)  # the tool's line above already says it
        lines.append(f"  input schema: {_compact(schema)}")
    shown = [
        example
        for example in (plan_examples() if examples is None else examples)
        if {str(step.get("tool")) for step in example.steps} <= names
    ]
    if shown:
        lines += ["", "Examples:"]
        for example in shown:
            plan = {"steps": [dict(step) for step in example.steps]}
            lines += [f"Request: {example.request}", f"Plan: {_compact(plan)}"]
    return "\n".join(lines)


def resolve_response_format(mode: ResponseFormatMode, server: ServerKind) -> ConcreteFormat:
    """Pick how to constrain output; `auto` decides by what serves the endpoint.

    llama-cpp-python's schema-constrained mode is `{"type": "json_object", "schema": ...}`
    (its `json_schema` answers 500); OpenAI, vLLM, Ollama and llama-server speak OpenAI
    structured outputs, and so, by assumption, does a server that did not say what it is.
    """
    if mode != "auto":
        return mode
    return traits(server).output_format


def response_format_kwargs(mode: ConcreteFormat, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The extra `chat.completions.create` arguments that constrain output in `mode`."""
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "plan", "schema": dict(schema), "strict": False},
            }
        }
    if mode == "llama_cpp":
        # llama-cpp-python penalises repeats by default (1.1), which fights JSON: a plan
        # repeats `"tool"`, `"input"` and braces on every step.
        return {
            "response_format": {"type": "json_object", "schema": dict(schema)},
            "extra_body": {"repeat_penalty": 1.0},
        }
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}
