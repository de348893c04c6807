"""A pattern `plan`, `run` or `--help` imports only what it uses.

Each subcommand imports its own heavy dependencies when it runs, so the CLI starts fast:
the app imports a command's module only when that command is used (`cli.lazy`; `--help`
imports them all, for their help lines), and those modules import the packages that do
the work (`load`, `evals`, `reports`, the local model server, the service) inside the
command functions.

`importlib.metadata` is forbidden to the app's `--help` alone: pydantic imports it
(`pydantic.plugin._loader`) when it builds its first validator, and typer builds one for a
command's options, whatever the CLI does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# openai too: its types alone are most of what the CLI would import for a pattern plan.
HEAVY = ("statsmodels", "scipy", "pandas", "plotly", "locust", "gevent", "llama_cpp", "openai")

# No command's start needs these; each is imported by the command that uses it.
NOT_AT_START = (
    *HEAVY,
    "crane_bench.load",  # yaml, prometheus_client, psutil: `load` only
    "crane_bench.reports",
    "crane_bench.evals",
    "crane_bench.runtime.local_llm",  # httpx, psutil: an LLM planner or `llm` only
    "crane_bench.runtime.service",  # FastAPI: `serve` only
    "crane_bench.plumbing.processes",
    "fastapi",
    "uvicorn",
    "httpx",
    "psutil",
    "yaml",
    "prometheus_client",
)

# A pattern plan needs the rules and the tools, not the agent that runs a plan, the
# hybrid planner, the transcript recorder, or tenacity's retries.
NOT_FOR_A_PLAN = (
    *NOT_AT_START,
    "crane_bench.runtime.agent",
    "crane_bench.runtime.orchestrator",
    "crane_bench.runtime.transcript",
    "crane_bench.runtime.planners.hybrid",
    "crane_bench.runtime.planners.llm",
    "crane_bench.runtime.planners.decomposed",
    "tenacity",
)

# Help reads the options: no planner, no settings (pydantic-settings), no event loop.
NOT_FOR_HELP = (
    *NOT_FOR_A_PLAN,
    "crane_bench.runtime.planners",
    "crane_bench.runtime.settings",
    "pydantic_settings",
    "asyncio",
)

# The modules of the commands beside `plan`, `run` and `version` (those are in `cli.app`):
# each is imported when its command is used, or by `--help`.
COMMAND_MODULES = (
    "cases", "eval", "eval_run", "eval_view", "llm", "load", "power", "report", "rescore",
    "serve", "show", "show_view",
)  # fmt: skip


def other_commands(*used: str) -> tuple[str, ...]:
    """The command modules but those in `used`."""
    return tuple(f"crane_bench.cli.{name}" for name in COMMAND_MODULES if name not in used)


# Runs the CLI in-process, then prints the names of every module imported.
PROBE = """
import json, sys
from crane_bench.cli.app import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

PATTERN_PLAN = ["plan", "calculate 2 + 2", "--planner", "pattern"]
PATTERN_RUN = ["run", "calculate 2 + 2", "--planner", "pattern"]


def imported_by(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after running the CLI with `args`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def found(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden names that were imported, themselves or any of their submodules."""
    return sorted(
        name for name in forbidden if any(m == name or m.startswith(f"{name}.") for m in modules)
    )


@pytest.mark.parametrize(
    ("args", "forbidden"),
    [
        # pydantic imports importlib.metadata at its first validator; the app's help has none.
        (["--help"], (*NOT_FOR_HELP, "importlib.metadata")),
        (["plan", "--help"], (*NOT_FOR_HELP, *other_commands())),
        (["llm", "--help"], (*NOT_FOR_HELP, *other_commands("llm"))),
        (["eval", "--help"], (*NOT_AT_START, *other_commands("eval"))),
        (["load", "--help"], (*NOT_AT_START, *other_commands("load", "report"))),
        (["serve", "--help"], (*NOT_AT_START, *other_commands("serve"))),
        # A plan that succeeds prints with typer and logs nothing: no rich either.
        (PATTERN_PLAN, (*NOT_FOR_A_PLAN, *other_commands(), "rich")),
        (PATTERN_RUN, (*NOT_AT_START, *other_commands(), "rich")),
    ],
)
def test_the_cli_imports_only_what_the_command_uses(
    args: list[str], forbidden: tuple[str, ...]
) -> None:
    assert found(imported_by(args), forbidden) == []


def test_a_pattern_plan_is_still_made() -> None:
    """The probe above would pass for a plan that failed early: this one prints a plan."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "crane_bench.cli.app", *PATTERN_PLAN],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    plan = json.loads(done.stdout)["plan"]
    assert plan == {"steps": [{"tool": "calculator", "input": {"expression": "2 + 2"}}]}
