"""The CLI's defaults are the models': an option not given takes the model's default.

`eval` and `load` build their config from the options given only, so `EvalConfig` and
`LoadConfig` hold every default. The `[default: ...]` that `--help` shows is a label
(the models cannot be imported for `--help`, see test_startup.py): these tests hold each
label equal to the model's default, and check that an option not given is left to it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from crane_bench.cli.app import app
from crane_bench.evals.run_config import DEFAULT_CASES, DEFAULT_GATES, EvalConfig
from crane_bench.load import LoadConfig, parse_duration
from crane_bench.load.config import DEFAULT_CASES as LOAD_CASES
from crane_bench.load.config import DEFAULT_SLO
from crane_bench.plumbing.run_files import DEFAULT_RUNS_DIR


def tail(path: Path) -> str:
    """`evals/cases` of `<anywhere>/evals/cases`: how a label names a packaged file."""
    return "/".join(path.parts[-2:])


def number(text: str) -> float:
    return float(text)


EVAL: dict[str, tuple[str, Callable[[str], Any], Any]] = {
    # option: (EvalConfig field, label -> value, the model's default as compared)
    "planners": ("planners", lambda text: text, ",".join(EvalConfig().labels)),
    "cases": ("case_paths", lambda text: text, tail(DEFAULT_CASES)),
    "repeats": ("repeats", int, EvalConfig.model_fields["repeats"].default),
    "concurrency": ("concurrency", int, EvalConfig.model_fields["concurrency"].default),
    "gates": ("gates_path", lambda text: text, tail(DEFAULT_GATES)),
    "case_timeout": ("case_timeout_s", number, EvalConfig.model_fields["case_timeout_s"].default),
    "perturb": ("perturbations", lambda text: () if text == "none" else text, ()),
    "seed": ("order_seed", int, EvalConfig.model_fields["order_seed"].default),
}
LOAD: dict[str, tuple[str, Callable[[str], Any], Any]] = {
    name: (name, convert, LoadConfig.model_fields[name].default)
    for name, convert in [
        ("scenario", str),
        ("users", int),
        ("spawn_rate", number),
        ("shape", str),
        ("processes", int),
        ("seed", int),
        ("unloaded", str),
    ]
}
LOAD["run_time"] = ("run_time_s", parse_duration, LoadConfig.model_fields["run_time_s"].default)
LOAD["cases"] = ("cases", lambda text: text, tail(LOAD_CASES))
LOAD["slo"] = ("slo", lambda text: text, tail(DEFAULT_SLO))
# Labels of what no model field holds: where a run directory goes, what the settings say.
NOT_MODEL_DEFAULTS = {
    ("eval", "out"): f"{DEFAULT_RUNS_DIR}/<UTC time>-<6 hex>",
    ("load", "planner"): "PLANNER or pattern, or the --host's",
    ("load", "steps"): "five equal steps up to --users",
}


def labels(command: str) -> dict[str, str]:
    """Option name -> the `[default: ...]` label of each option of `command` that has one."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    params = group.commands[command].params
    return {p.name: p.show_default for p in params if isinstance(p.show_default, str) and p.name}


@pytest.mark.parametrize(("command", "table"), [("eval", EVAL), ("load", LOAD)])
def test_every_default_label_is_the_models_default(
    command: str, table: dict[str, tuple[str, Callable[[str], Any], Any]]
) -> None:
    shown = labels(command)
    others = {name for (cmd, name) in NOT_MODEL_DEFAULTS if cmd == command}
    assert set(shown) == set(table) | others  # a new label must be checked here
    for name, (_field, convert, default) in table.items():
        assert convert(shown[name]) == default, f"{command} --{name}"
    for name in others:
        assert shown[name] == NOT_MODEL_DEFAULTS[(command, name)]


@pytest.mark.parametrize(("command", "table"), [("eval", EVAL), ("load", LOAD)])
def test_an_option_not_given_has_no_value_of_its_own(
    command: str, table: dict[str, tuple[str, Callable[[str], Any], Any]]
) -> None:
    """None (not given) reaches the command, which leaves the field to the model."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    params = {p.name: p for p in group.commands[command].params}
    for name in table:
        assert params[name].default is None, f"{command} --{name} has a default of its own"
