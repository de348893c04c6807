"""Tool plug-ins: the built-in declarations, and a third-party tool found by entry point."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.planners.decomposed import INSTRUCTIONS, DecomposedLLMPlanner, cued_labels
from crane_bench.runtime.planners.grammars import answer_grammar, format_fields, parse_answer
from crane_bench.runtime.planners.llm import LLMPlanner
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import ToolPlugin, ToolPlugins, default_tools, registry
from crane_bench.runtime.tools.registry import (
    BUILTIN_TOOL_PLUGINS,
    ENTRY_POINT_GROUP,
    installed_tool_plugins,
)
from tests.runtime.tools.echo_plugin import ECHO_PLUGIN, SHOUT_PLUGIN


def test_the_builtin_plugins_declare_the_labels_in_their_order() -> None:
    # Every package under runtime/tools with a plugin.PLUGIN, in package name order.
    packages = sorted(
        path.parent.parent.name for path in Path(registry.__file__).parent.glob("*/plugin.py")
    )
    assert len(BUILTIN_TOOL_PLUGINS) == len(packages)
    assert BUILTIN_TOOL_PLUGINS.names[:2] == ("calculator", "todo_store")
    assert BUILTIN_TOOL_PLUGINS.categories[:2] == ("calculator", "todo")
    assert BUILTIN_TOOL_PLUGINS.labels[:7] == (
        "calculator",
        "todo_add",
        "todo_list",
        "todo_get",
        "todo_update",
        "todo_complete",
        "todo_delete",
    )
    assert BUILTIN_TOOL_PLUGINS.labels[-1] == "none"
    assert [f.name for f in BUILTIN_TOOL_PLUGINS.answer_fields][:3] == ["expression", "id", "title"]
    assert all(isinstance(plugin, ToolPlugin) for plugin in BUILTIN_TOOL_PLUGINS)


def test_the_instructions_are_built_from_the_labels_descriptions() -> None:
    # The request layout every model call opens with: built from the plug-ins, unchanged.
    assert INSTRUCTIONS == (
        "You route one request to one tool call.\n"
        "Labels: calculator (arithmetic; write the expression with digits and + - * / ** "
        "and parentheses), todo_add (a new todo with its title), todo_list (show all todos), "
        "todo_get (one todo by id), todo_update (new title for a todo id), todo_complete "
        "(mark a todo id done), todo_delete (remove a todo id), none (anything else: chat, "
        "facts, other services, code, or instructions about you). "
        "First answer yes if one of these tools fits the request, or no."
    )


def test_rule_readers_are_tried_in_their_declared_order() -> None:
    orders = [reader.order for _, reader in BUILTIN_TOOL_PLUGINS.rule_readers()]
    assert orders == sorted(orders)
    names = [plugin.name for plugin, _ in BUILTIN_TOOL_PLUGINS.rule_readers()]
    assert [name for name in names if name in ("calculator", "todo_store")] == [
        "todo_store",
        "calculator",
        "todo_store",
        "todo_store",
    ]


def test_two_plugins_may_not_share_a_name_or_a_label() -> None:
    with pytest.raises(ValueError, match="duplicate tool plug-in 'calculator'"):
        ToolPlugins([*BUILTIN_TOOL_PLUGINS, BUILTIN_TOOL_PLUGINS[0]])


def test_a_plugin_of_ones_own_is_read_by_the_rules_and_offered_to_the_model() -> None:
    plugins = ToolPlugins([*BUILTIN_TOOL_PLUGINS, ECHO_PLUGIN])
    plan = PatternPlanner(plugins).plan_sync("echo hello there and then what is 2 + 3")
    assert [(s.tool, s.input) for s in plan.steps] == [
        ("echo", {"title": "hello there"}),
        ("calculator", {"expression": "2 + 3"}),
    ]
    assert cued_labels("echo hello", plugins=plugins) == ["echo", "none"]
    client = openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://model.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
    )
    planner = DecomposedLLMPlanner(client, model="m", plugins=plugins)
    assert "echo (repeat a text back), none (" in planner.instructions
    assert plugins.label_step("echo", {"title": "hi"}) is not None


def _fake_client() -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://model.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
    )


def test_a_plugin_declares_its_answer_field_and_its_grammar_fragment() -> None:
    plugins = ToolPlugins([*BUILTIN_TOOL_PLUGINS, SHOUT_PLUGIN])
    grammar = answer_grammar("shout hello", ["shout", "none"], plugins=plugins)
    assert '"yes\\nshout" "\\nLoud: " shout-loud' in grammar
    assert 'shout-loud ::= "SHOUT" | "HELLO"' in grammar
    answer = parse_answer("yes\nshout\nLoud: HELLO", plugins)
    assert (answer.label, dict(answer.fields)) == ("shout", {"loud": "HELLO"})
    assert format_fields("shout", plugins=plugins, loud="HELLO") == "yes\nshout\nLoud: HELLO"


def test_a_label_may_take_only_declared_answer_fields() -> None:
    undeclared = dataclasses.replace(SHOUT_PLUGIN, answer_fields=())
    with pytest.raises(ValueError, match="undeclared answer field 'loud'"):
        ToolPlugins([*BUILTIN_TOOL_PLUGINS, undeclared])


def test_a_tool_offered_when_cued_leaves_other_requests_as_they_were() -> None:
    plugins = ToolPlugins([*BUILTIN_TOOL_PLUGINS, SHOUT_PLUGIN])
    planner = DecomposedLLMPlanner(_fake_client(), model="m", plugins=plugins)
    assert planner.instructions == INSTRUCTIONS
    builtin = DecomposedLLMPlanner(_fake_client(), model="m")
    assert planner.prompt_for("what is 2 + 3") == builtin.prompt_for("what is 2 + 3")
    assert cued_labels("shout hello", plugins=plugins) == ["shout", "none"]
    cued = planner.prompt_for("shout hello")
    assert "shout (say a word loudly), none (" in cued.instructions
    tools = default_tools().describe()
    shout_tool = {"name": "shout", "description": "Say a word loudly.", "input_schema": {}}
    oneshot = LLMPlanner(_fake_client(), model="m", tools=[*tools, shout_tool], plugins=plugins)
    plain = LLMPlanner(_fake_client(), model="m", tools=tools)
    assert oneshot.offer("what is 2 + 3") == plain.offer("what is 2 + 3")
    schema, system = oneshot.offer("please shout hello")
    assert "- shout: Say a word loudly." in system
    assert "Request: shout hello" in system
    steps = schema["properties"]["steps"]["items"]["anyOf"]
    assert [step["properties"]["tool"]["enum"] for step in steps] == [
        ["calculator"],
        ["todo_store"],
        ["shout"],
    ]


def _register(root: Path, target: str) -> None:
    """Install a distribution (metadata only) that registers `target` as a tool plug-in."""
    info = root / "echo_tool-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-tool\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\necho = {target}\n")


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    installed_tool_plugins.cache_clear()
    yield
    installed_tool_plugins.cache_clear()


@pytest.mark.usefixtures("fresh_registry")
def test_a_plugin_registered_by_entry_point_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(tmp_path, "tests.runtime.tools.echo_plugin:ECHO_PLUGIN")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_tool_plugins().names == (*BUILTIN_TOOL_PLUGINS.names, "echo")
    assert "echo" in default_tools()


@pytest.mark.usefixtures("fresh_registry")
def test_an_entry_point_that_is_no_plugin_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(tmp_path, "tests.runtime.tools.echo_plugin:NOT_A_PLUGIN")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"'echo' .* is not a ToolPlugin"):
        installed_tool_plugins()
