"""The todo store and its tool: every action, per-store ids, and refused input."""

from __future__ import annotations

import pytest
from pydantic import JsonValue, ValidationError

from crane_bench.runtime.errors import ToolError, ToolInputError
from crane_bench.runtime.tools import TodoInput, TodoStore, TodoTool, ToolRegistry, default_tools


async def call(tool: TodoTool, **raw: JsonValue) -> JsonValue:
    return await tool.run(TodoInput.model_validate(raw))


@pytest.fixture
def tool() -> TodoTool:
    return TodoTool()


async def test_add_returns_the_todo(tool: TodoTool) -> None:
    assert await call(tool, action="add", title="water the plants") == {
        "id": 1,
        "title": "water the plants",
        "completed": False,
    }


async def test_ids_count_from_one_per_store(tool: TodoTool) -> None:
    added = [await call(tool, action="add", title=f"t{n}") for n in range(3)]
    assert added == [{"id": n, "title": f"t{n - 1}", "completed": False} for n in (1, 2, 3)]
    other = TodoTool()
    assert await call(other, action="add", title="elsewhere") == {
        "id": 1,
        "title": "elsewhere",
        "completed": False,
    }


async def test_ids_are_not_reused_after_delete(tool: TodoTool) -> None:
    await call(tool, action="add", title="a")
    await call(tool, action="delete", id=1)
    assert (await call(tool, action="add", title="b")) == {
        "id": 2,
        "title": "b",
        "completed": False,
    }


async def test_list_in_insertion_order(tool: TodoTool) -> None:
    assert await call(tool, action="list") == []
    await call(tool, action="add", title="first")
    await call(tool, action="add", title="second")
    assert await call(tool, action="list") == [
        {"id": 1, "title": "first", "completed": False},
        {"id": 2, "title": "second", "completed": False},
    ]


async def test_get_update_complete_delete(tool: TodoTool) -> None:
    await call(tool, action="add", title="draft")
    assert await call(tool, action="get", id=1) == {"id": 1, "title": "draft", "completed": False}
    assert await call(tool, action="update", id=1, title="final") == {
        "id": 1,
        "title": "final",
        "completed": False,
    }
    done = {"id": 1, "title": "final", "completed": True}
    assert await call(tool, action="complete", id=1) == done
    assert await call(tool, action="complete", id=1) == done  # completing twice is harmless
    assert await call(tool, action="update", id=1, title="renamed") == {
        "id": 1,
        "title": "renamed",
        "completed": True,
    }
    assert await call(tool, action="delete", id=1) == {"deleted": 1}
    assert await call(tool, action="list") == []


@pytest.mark.parametrize(
    "raw",
    [
        {"action": "get", "id": 7},
        {"action": "update", "id": 7, "title": "x"},
        {"action": "complete", "id": 7},
        {"action": "delete", "id": 7},
    ],
)
async def test_unknown_id(tool: TodoTool, raw: dict[str, JsonValue]) -> None:
    await call(tool, action="add", title="only one")
    with pytest.raises(ToolError, match=r"^no todo with id 7$"):
        await call(tool, **raw)


async def test_fresh_store_per_tool_unless_shared() -> None:
    first, second = TodoTool(), TodoTool()
    await call(first, action="add", title="mine")
    assert await call(second, action="list") == []

    store = TodoStore()
    shared_a, shared_b = TodoTool(store), TodoTool(store)
    await call(shared_a, action="add", title="ours")
    assert await call(shared_b, action="list") == [{"id": 1, "title": "ours", "completed": False}]


async def test_default_tools_gets_a_fresh_store_per_call() -> None:
    registry = default_tools()
    tool = registry["todo_store"]
    await tool.run(registry.parse_input("todo_store", {"action": "add", "title": "a"}))
    fresh = default_tools()["todo_store"]
    assert await fresh.run(TodoInput(action="list")) == []

    store = TodoStore()
    store.add("kept")
    handed = default_tools(store)["todo_store"]
    assert await handed.run(TodoInput(action="list")) == [
        {"id": 1, "title": "kept", "completed": False}
    ]


async def test_html_in_a_title_is_stored_verbatim(tool: TodoTool) -> None:
    title = "<script>alert('x')</script> & <b>bold</b> {{ 7 * 7 }}"
    assert await call(tool, action="add", title=title) == {
        "id": 1,
        "title": title,
        "completed": False,
    }
    assert await call(tool, action="get", id=1) == {"id": 1, "title": title, "completed": False}


def test_title_is_stripped() -> None:
    assert TodoInput(action="add", title="  buy milk \n").title == "buy milk"


def test_store_hands_out_values_not_its_state() -> None:
    store = TodoStore()
    todo = store.add("a")
    with pytest.raises(ValidationError):
        todo.completed = True  # type: ignore[misc]
    assert not store.get(1).completed
    assert len(store) == 1


def test_store_is_bounded() -> None:
    store = TodoStore(max_todos=2)
    store.add("a")
    store.add("b")
    with pytest.raises(ToolError, match="the todo list is full"):
        store.add("c")


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry([TodoTool()])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "action: Field required"),
        ({"action": "remove", "id": 1}, "action: Input should be 'add', 'list'"),
        ({"action": "add"}, "action 'add' needs title"),
        ({"action": "add", "title": "   "}, "title: String should have at least 1 character"),
        ({"action": "add", "title": "x" * 201}, "title: String should have at most 200"),
        ({"action": "update", "id": 1}, "action 'update' needs title"),
        ({"action": "update", "title": "x"}, "action 'update' needs id"),
        ({"action": "update"}, "action 'update' needs id and title"),
        ({"action": "get"}, "action 'get' needs id"),
        ({"action": "complete"}, "action 'complete' needs id"),
        ({"action": "delete"}, "action 'delete' needs id"),
        ({"action": "get", "id": 0}, "id: Input should be greater than or equal to 1"),
        ({"action": "get", "id": -3}, "id: Input should be greater than or equal to 1"),
        ({"action": "get", "id": 1.5}, "id: Input should be a valid integer"),
        ({"action": "get", "id": True}, "id must be an integer, not a boolean"),
        ({"action": "get", "id": "seven"}, "id: Input should be a valid integer"),
        ({"action": "list", "id": 1}, "action 'list' takes no id"),
        ({"action": "add", "title": "x", "id": 2}, "action 'add' takes no id"),
        ({"action": "delete", "id": 1, "title": "x"}, "action 'delete' takes no title"),
        ({"action": "add", "title": "x", "priority": "high"}, "priority: Extra inputs"),
    ],
)
def test_invalid_input_is_a_readable_tool_input_error(
    registry: ToolRegistry, raw: dict[str, JsonValue], message: str
) -> None:
    with pytest.raises(ToolInputError) as info:
        registry.parse_input("todo_store", raw)
    text = str(info.value)
    assert text.startswith("todo_store: ")
    assert message in text
    assert "\n" not in text
    assert "pydantic" not in text


def test_a_title_of_200_characters_is_accepted(registry: ToolRegistry) -> None:
    parsed = registry.parse_input("todo_store", {"action": "add", "title": "x" * 200})
    assert isinstance(parsed, TodoInput)
    assert parsed.title == "x" * 200


def test_an_id_given_as_a_numeric_string_is_read(registry: ToolRegistry) -> None:
    assert registry.parse_input("todo_store", {"action": "get", "id": "3"}) == TodoInput(
        action="get", id=3
    )


async def test_input_built_without_validation_still_cannot_reach_the_store(
    tool: TodoTool,
) -> None:
    with pytest.raises(ToolInputError, match="title is required"):
        await tool.run(TodoInput.model_construct(action="add"))
