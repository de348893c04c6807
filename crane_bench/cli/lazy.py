"""Commands whose module is imported only when the command is used.

typer builds every command's click object when the app is called, so every command's
module (and what it imports) would load for a `crane-bench plan`. `LazyGroup` keeps a
table of `name -> "module:attr"` instead and imports a command's module when that
command is looked up: to run it, to print its help, or to list it in the app's help.

    class CraneBenchGroup(LazyGroup):
        lazy_commands = {"eval": LazyCommand("crane_bench.cli.eval:eval_command")}

    app = typer.Typer(cls=CraneBenchGroup)

An attribute that is a `typer.Typer` becomes a group of subcommands (`llm ...`); any
other is a command function, registered as `@app.command(name=...)` would.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup
from typer.main import get_command, get_group

# typer's own click (typer._click) types a group's commands; its public name is not
# exported, so the commands are typed through what `get_command` returns.
Command = Any


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command is defined: `"package.module:attr"`.

    Attributes:
        target: The module and the attribute, a command function or a `typer.Typer`.
    """

    target: str

    def load(self, name: str) -> Command:
        """Import the module and build the click command (or group) named `name`."""
        module_name, _, attr = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, typer.Typer):
            group = get_group(obj)
            group.name = name
            return group
        single = typer.Typer()
        single.command(name=name)(obj)
        return get_command(single)


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands: those built already, then the lazy ones, built when read.

    Iterating gives every name (for help and suggestions) without importing anything.
    """

    def __init__(self, built: Mapping[str, Command], lazy: Mapping[str, LazyCommand]) -> None:
        self._built: dict[str, Command] = dict(built)
        self._lazy = lazy

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = self._lazy[name].load(name)  # KeyError: no such command
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._built
        yield from (name for name in self._lazy if name not in self._built)

    def __len__(self) -> int:
        return len(set(self._built) | set(self._lazy))


class LazyGroup(TyperGroup):
    """A typer group whose `lazy_commands` are imported when looked up.

    Subclass it with the table, and pass the subclass as `typer.Typer(cls=...)`: typer
    constructs the group itself, so the table is a class attribute (read-only).
    """

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands, self.lazy_commands)

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command's name, without importing the lazy ones (typer's reads values)."""
        return list(self.commands)
