"""The `crane-bench` command: the composition root that wires the four packages.

`plan`, `run` and `version` are defined here; every other command's module is imported
only when that command is used (`cli.lazy`), and what a command needs to do its work
(the planners, the agent, `load`, the local model server) is imported when it runs, so
`crane-bench plan` (pattern) and `--help` start fast.
`tests/crane_bench/cli/test_startup.py` holds the line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, ClassVar

import typer

from crane_bench.cli.common import (
    EXIT_USAGE,
    fail,
    print_error,
    run_async,
    setup_logging,
)
from crane_bench.cli.lazy import LazyCommand, LazyGroup
from crane_bench.cli.planner_option import PlannerOpt, planner_settings
from crane_bench.runtime.errors import UserError


class CraneBenchGroup(LazyGroup):
    """The app's commands beside `plan`, `run` and `version`, in the order help lists them."""

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = MappingProxyType(
        {
            "serve": LazyCommand("crane_bench.cli.serve:serve"),
            "eval": LazyCommand("crane_bench.cli.eval:eval_command"),
            "load": LazyCommand("crane_bench.cli.load:load_command"),
            "report": LazyCommand("crane_bench.cli.report:report_command"),
            "show": LazyCommand("crane_bench.cli.show:show_command"),
            "rescore": LazyCommand("crane_bench.cli.rescore:rescore_command"),
            "power": LazyCommand("crane_bench.cli.power:power_command"),
            "llm": LazyCommand("crane_bench.cli.llm:llm_app"),
            "cases": LazyCommand("crane_bench.cli.cases:cases_app"),
            "robustness": LazyCommand("crane_bench.cli.robustness:robustness_app"),
        }
    )


app = typer.Typer(
    name="crane-bench",
    cls=CraneBenchGroup,
    help="Evaluation-first benchmarking harness for tool-using AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


PromptArg = Annotated[str, typer.Argument(help="What the user asks, in plain words.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")]


def _check_prompt(prompt: str) -> str:
    prompt = prompt.strip()
    if not prompt:
        fail("the prompt is empty")
    return prompt


@app.command()
def plan(prompt: PromptArg, planner: PlannerOpt = None, verbose: VerboseOpt = False) -> None:
    """Print the plan (and how it was made) for PROMPT as JSON.

    Exit 1 with one line when no plan could be made, or the plan could not run (a tool
    that does not exist, input a tool refuses), as `run` would find.
    """
    # Imported here, when `plan` runs: `--help` and the other commands never need them.
    from crane_bench.runtime.planners.factory import open_spec_planner  # noqa: PLC0415
    from crane_bench.runtime.planners.validation import validate_plan  # noqa: PLC0415
    from crane_bench.runtime.tools import default_tools  # noqa: PLC0415

    setup_logging(verbose)
    prompt = _check_prompt(prompt)
    settings, spec = planner_settings(planner)

    async def go() -> str:
        async with open_spec_planner(spec, settings) as made:
            result = await made.plan(prompt)
        validate_plan(result.plan, default_tools())
        return result.model_dump_json(indent=2)

    typer.echo(run_async(go()))


@app.command()
def run(prompt: PromptArg, planner: PlannerOpt = None, verbose: VerboseOpt = False) -> None:
    """Plan PROMPT, execute the plan, and print the run as JSON (exit 1 if it failed)."""
    from crane_bench.runtime.agent import Agent  # noqa: PLC0415
    from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig  # noqa: PLC0415
    from crane_bench.runtime.planners.factory import open_spec_planner  # noqa: PLC0415
    from crane_bench.runtime.tools import default_tools  # noqa: PLC0415

    setup_logging(verbose)
    prompt = _check_prompt(prompt)
    settings, spec = planner_settings(planner)

    async def go() -> tuple[str, bool]:
        async with open_spec_planner(spec, settings) as made:
            agent = Agent(
                made, Orchestrator(OrchestratorConfig.from_settings(settings)), default_tools
            )
            record = await agent.run(prompt)
        return record.model_dump_json(indent=2), record.status == "completed"

    text, ok = run_async(go())
    typer.echo(text)
    if not ok:
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    from importlib.metadata import version as dist_version  # noqa: PLC0415 - scans site-packages

    typer.echo(json.dumps({"crane-bench": dist_version("crane-bench")}))


def main() -> None:
    """Console-script entry point; a user's mistake that escapes a command is one line."""
    try:
        app()
    except UserError as exc:  # e.g. `serve` refusing its settings before uvicorn starts
        print_error(str(exc))
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
