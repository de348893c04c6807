"""The todo store as a plug-in: everything planners, evals and load tests know of it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from crane_bench.runtime.tools.plugin import (
    Inputs,
    LabelSpec,
    LoadPrompt,
    PlanExample,
    RuleReader,
    ToolDeclaration,
)
from crane_bench.runtime.tools.todo.answer import ID_FIELD, TITLE_FIELD
from crane_bench.runtime.tools.todo.cue import asks_for_todo, has_todo_signal, supports_todo_step
from crane_bench.runtime.tools.todo.rules import (
    FALLBACK_ADD_RULES,
    MANY_ADD_RULES,
    TODO_RULES,
    match_todo,
)
from crane_bench.runtime.tools.todo.structure import read_todo_structure
from crane_bench.runtime.tools.todo.tool import TodoInput, TodoTool


def _read_marked(clause: str) -> Inputs | None:
    return match_todo(clause, TODO_RULES) or match_todo(clause, MANY_ADD_RULES)


def _read_bare_add(clause: str) -> Inputs | None:
    return match_todo(clause, FALLBACK_ADD_RULES)


TODO_PLUGIN: Final = ToolDeclaration(
    name="todo_store",
    category="todo",
    input_model=TodoInput,
    factory=TodoTool,
    labels=(
        LabelSpec("todo_add", "a new todo with its title", ("title",), action="add"),
        LabelSpec("todo_list", "show all todos", action="list"),
        LabelSpec("todo_get", "one todo by id", ("id",), action="get"),
        LabelSpec("todo_update", "new title for a todo id", ("id", "title"), action="update"),
        LabelSpec("todo_complete", "mark a todo id done", ("id",), action="complete"),
        LabelSpec("todo_delete", "remove a todo id", ("id",), action="delete"),
    ),
    answer_fields=(ID_FIELD, TITLE_FIELD),
    plan_examples=(
        PlanExample(
            "Put 'water the plants' on my todo list, then show me the list.",
            (
                {"tool": "todo_store", "input": {"action": "add", "title": "water the plants"}},
                {"tool": "todo_store", "input": {"action": "list"}},
            ),
        ),
        PlanExample(
            "Mark task 3 as done.",
            ({"tool": "todo_store", "input": {"action": "complete", "id": 3}},),
        ),
    ),
    signal_fn=has_todo_signal,
    signal_name="todo",
    cue_fn=supports_todo_step,
    asks_for_fn=asks_for_todo,
    referent_fn=has_todo_signal,
    examples=Path(__file__).with_name("examples.yaml"),
    # Marked todo phrasings go before arithmetic ("add 5 and 7 to my list" is a todo),
    # a todo read from its parts and a bare "add X" after it ("add 5 and 7" is a sum).
    rules=(
        RuleReader(10, "todo phrasings with a marker", _read_marked),
        RuleReader(30, "a todo request read from its parts", read_todo_structure),
        RuleReader(40, "a bare add", _read_bare_add),
    ),
    load_prompts=(
        LoadPrompt("remind me to {title}"),
        LoadPrompt("add {title} to my list"),
        LoadPrompt("show my todos"),
        LoadPrompt("add {title} to my todo list and show my list"),
        LoadPrompt("remind me to {title} and mark task 1 done"),
        LoadPrompt("mark task {small} done", expect="failed"),
        LoadPrompt("delete task {small}", expect="failed"),
    ),
)
"""The todo store's declaration."""

PLUGIN: Final = TODO_PLUGIN
"""The name the tool registry looks for in every tool package's `plugin` module."""
