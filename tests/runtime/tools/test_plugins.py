"""Tool plug-ins: the built-in declarations, and a third-party tool found by entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.planners.decomposed import INSTRUCTIONS, DecomposedLLMPlanner, cued_labels
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import ToolPlugin, ToolPlugins, default_tools
from crane_bench.runtime.tools.registry import (
    BUILTIN_TOOL_PLUGINS,
    ENTRY_POINT_GROUP,
    installed_tool_plugins,
)
from tests.runtime.tools.echo_plugin import ECHO_PLUGIN


def test_the_builtin_plugins_declare_the_labels_in_their_order() -> None:
    assert BUILTIN_TOOL_PLUGINS.names == ("calculator", "todo_store")
    assert BUILTIN_TOOL_PLUGINS.categories == ("calculator", "todo")
    assert BUILTIN_TOOL_PLUGINS.labels == (
        "calculator",
        "todo_add",
        "todo_list",
        "todo_get",
        "todo_update",
        "todo_complete",
        "todo_delete",
        "none",
    )
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
    assert [plugin.name for plugin, _ in BUILTIN_TOOL_PLUGINS.rule_readers()] == [
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
    assert installed_tool_plugins().names == ("calculator", "todo_store", "echo")
    assert "echo" in default_tools()


@pytest.mark.usefixtures("fresh_registry")
def test_an_entry_point_that_is_no_plugin_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(tmp_path, "tests.runtime.tools.echo_plugin:NOT_A_PLUGIN")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"'echo' .* is not a ToolPlugin"):
        installed_tool_plugins()
