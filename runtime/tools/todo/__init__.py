"""The `todo_store` tool: an in-memory todo list; its planner knowledge is in `plugin`."""

from crane_bench.runtime.tools.todo.tool import (
    MAX_TITLE_LENGTH,
    MAX_TODOS,
    Todo,
    TodoAction,
    TodoInput,
    TodoStore,
    TodoTitle,
    TodoTool,
)

__all__ = [
    "MAX_TITLE_LENGTH",
    "MAX_TODOS",
    "Todo",
    "TodoAction",
    "TodoInput",
    "TodoStore",
    "TodoTitle",
    "TodoTool",
]
