"""Commands loaded when used (`cli.lazy`), and the app's table of them."""

from __future__ import annotations

import logging
import sys

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from crane_bench.cli.app import CraneBenchGroup, app
from crane_bench.cli.common import RichOnFirstRecord, setup_logging
from crane_bench.cli.lazy import LazyCommand, LazyCommands

EVERY_COMMAND = [
    "plan", "run", "version", "serve", "eval", "load", "report", "show", "rescore", "power",
    "llm", "cases", "robustness",
]  # fmt: skip


def test_the_names_are_listed_without_importing_a_command() -> None:
    lazy = {"nothing": LazyCommand("tests.crane_bench.cli.no_such_module:command")}
    commands = LazyCommands({}, lazy)
    assert list(commands) == ["nothing"]
    assert len(commands) == 1
    assert "tests.crane_bench.cli.no_such_module" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        commands["nothing"]
    with pytest.raises(KeyError):
        commands["missing"]


def test_a_command_is_built_once_when_first_read() -> None:
    commands = LazyCommands({}, {"power": LazyCommand("crane_bench.cli.power:power_command")})
    first = commands["power"]
    assert first.name == "power"
    assert first.params  # its options, read from the function as typer reads them
    assert commands["power"] is first


def test_the_app_lists_every_command_in_order() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, CraneBenchGroup)
    assert group.list_commands(typer.Context(group)) == EVERY_COMMAND
    # A sub-app becomes a group under its own name, with its own commands.
    llm = group.commands["llm"]
    assert isinstance(llm, TyperGroup)
    assert (llm.name, list(llm.commands)) == ("llm", ["serve", "models", "prepare"])


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_every_command_has_its_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_apps_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    shown = [line.split()[1] for line in result.output.splitlines() if line.startswith("│ ")]
    assert [name for name in shown if name in EVERY_COMMAND] == EVERY_COMMAND


def test_a_misspelt_command_is_told_the_lazy_one_it_may_mean() -> None:
    result = CliRunner().invoke(app, ["evl"])
    assert result.exit_code == 2
    assert "Did you mean 'eval'?" in result.output


def test_logging_goes_through_rich_from_the_first_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    setup_logging(verbose=True)
    try:
        assert [type(h) for h in root.handlers] == [RichOnFirstRecord]
        logging.getLogger("crane_bench.test").debug("a debug line")
        logging.getLogger("crane_bench.test").warning("a warning")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "DEBUG" in err
    assert "a debug line" in err
    assert "WARNING" in err
    assert "a warning" in err
