"""The `todo_store` tool: an in-memory todo list, one store per tool instance.

Nothing here is global: each `TodoTool` owns a fresh `TodoStore` unless one is handed
in, so runs never see each other's todos. Titles are plain text, stored as given (after
stripping); nothing in them is ever interpreted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
    model_validator,
)

from crane_bench.runtime.errors import ToolError, ToolInputError

MAX_TITLE_LENGTH = 200
MAX_TODOS = 1000

TodoAction = Literal["add", "list", "get", "update", "complete", "delete"]
TodoTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)
]

# Which fields each action needs; any other field given with the action is refused, so
# that a plan saying {"action": "add", "id": 3} fails loudly instead of being half-read.
_FIELDS: dict[TodoAction, frozenset[str]] = {
    "add": frozenset({"title"}),
    "list": frozenset(),
    "get": frozenset({"id"}),
    "update": frozenset({"id", "title"}),
    "complete": frozenset({"id"}),
    "delete": frozenset({"id"}),
}

_T = TypeVar("_T")


class Todo(BaseModel):
    """One todo item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1, description="Store-assigned id, counting from 1.")
    title: TodoTitle = Field(description="What to do, as plain text.")
    completed: bool = Field(default=False, description="Whether it is done.")


class TodoInput(BaseModel):
    """Input of the `todo_store` tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: TodoAction = Field(
        description=(
            "add (needs title), list, get (needs id), update (needs id and title), "
            "complete (needs id), delete (needs id)."
        )
    )
    title: TodoTitle | None = Field(
        default=None, description="Todo text, for add and update; at most 200 characters."
    )
    id: int | None = Field(
        default=None, ge=1, description="Todo id, for get, update, complete and delete."
    )

    @field_validator("id", mode="before")
    @classmethod
    def _no_bool_id(cls, value: Any) -> Any:
        # pydantic would read true as 1; an id is never a boolean.
        if isinstance(value, bool):
            raise ValueError("id must be an integer, not a boolean")
        return value

    @model_validator(mode="after")
    def _fields_fit_action(self) -> Self:
        needed = _FIELDS[self.action]
        given = {name for name in ("title", "id") if getattr(self, name) is not None}
        if missing := sorted(needed - given):
            raise ValueError(f"action {self.action!r} needs {' and '.join(missing)}")
        if extra := sorted(given - needed):
            raise ValueError(f"action {self.action!r} takes no {' or '.join(extra)}")
        return self


class TodoStore:
    """An in-memory todo list. Ids count from 1 per store and are never reused.

    Args:
        max_todos: How many todos the store holds at most; adding more is refused.
    """

    def __init__(self, *, max_todos: int = MAX_TODOS) -> None:
        self._todos: dict[int, Todo] = {}
        self._next_id = 1
        self._max_todos = max_todos

    def add(self, title: str) -> Todo:
        """Add a todo, not completed, under the next id.

        Raises:
            ToolError: The store is full.
            pydantic.ValidationError: The title is empty or too long.
        """
        if len(self._todos) >= self._max_todos:
            raise ToolError(f"the todo list is full ({self._max_todos} todos)")
        todo = Todo(id=self._next_id, title=title)
        self._todos[todo.id] = todo
        self._next_id += 1
        return todo

    def list(self) -> list[Todo]:
        """All todos, oldest first."""
        return [*self._todos.values()]

    def get(self, todo_id: int) -> Todo:
        """The todo with this id.

        Raises:
            ToolError: No todo has this id.
        """
        try:
            return self._todos[todo_id]
        except KeyError:
            raise ToolError(f"no todo with id {todo_id}") from None

    def update(self, todo_id: int, title: str) -> Todo:
        """Give a todo a new title.

        Raises:
            ToolError: No todo has this id.
            pydantic.ValidationError: The title is empty or too long.
        """
        todo = Todo(id=todo_id, title=title, completed=self.get(todo_id).completed)
        self._todos[todo_id] = todo
        return todo

    def complete(self, todo_id: int) -> Todo:
        """Mark a todo done; completing a done todo changes nothing.

        Raises:
            ToolError: No todo has this id.
        """
        todo = self.get(todo_id).model_copy(update={"completed": True})
        self._todos[todo_id] = todo
        return todo

    def delete(self, todo_id: int) -> Todo:
        """Remove a todo and return it.

        Raises:
            ToolError: No todo has this id.
        """
        todo = self.get(todo_id)
        del self._todos[todo_id]
        return todo

    def __len__(self) -> int:
        return len(self._todos)


class TodoTool:
    """Adds, lists, reads, renames, completes and deletes todos.

    Args:
        store: The store to work on; a fresh, empty one when not given.
    """

    name = "todo_store"
    description = (
        "Manage a todo list: add a todo (title), list all todos, get one (id), update its "
        "title (id, title), mark it complete (id) or delete it (id). Ids start at 1."
    )
    input_model = TodoInput

    def __init__(self, store: TodoStore | None = None) -> None:
        self.store = store if store is not None else TodoStore()

    async def run(self, tool_input: TodoInput) -> JsonValue:
        """Do the action.

        Returns:
            The todo as `{id, title, completed}` for add, get, update and complete; the
            list of todos for list; `{"deleted": id}` for delete.

        Raises:
            ToolError: No todo has the id, or the store is full.
            ToolInputError: A field the action needs is missing.
        """
        store = self.store
        match tool_input.action:
            case "add":
                todo = store.add(_needed(tool_input.title, "title"))
            case "list":
                return [item.model_dump(mode="json") for item in store.list()]
            case "get":
                todo = store.get(_needed(tool_input.id, "id"))
            case "update":
                todo = store.update(
                    _needed(tool_input.id, "id"), _needed(tool_input.title, "title")
                )
            case "complete":
                todo = store.complete(_needed(tool_input.id, "id"))
            case "delete":
                return {"deleted": store.delete(_needed(tool_input.id, "id")).id}
        return todo.model_dump(mode="json")


def _needed(value: _T | None, field: str) -> _T:
    # TodoInput's validator already guarantees this; an input built with
    # `model_construct` skips validation, and must still not reach the store.
    if value is None:
        raise ToolInputError(f"todo_store: {field} is required for this action")
    return value
