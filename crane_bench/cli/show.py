"""`crane-bench show RUN_DIR CASE_ID`: one trial's transcript, readable in the terminal.

Exit codes: 0 printed; 2 the `[eval]` extra is not installed, the directory is not an
eval run, holds no transcripts, no trial of the case is in it, or several planners ran it
and `--planner` did not pick one (one line each, no traceback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crane_bench.cli.common import fail, require_extra

RunDirArg = Annotated[Path, typer.Argument(help="An eval run directory.", show_default=False)]
CaseArg = Annotated[str, typer.Argument(help="The case id.", show_default=False)]
PlannerOpt = Annotated[
    str | None,
    typer.Option("--planner", "-p", help="The planner's label (needed when several ran the case)."),
]
RepeatOpt = Annotated[
    int | None,
    typer.Option("--repeat", min=0, help="Which repeat (0-based).", show_default="the first"),
]
FullOpt = Annotated[
    bool, typer.Option("--full", help="Print prompts, grammars and bodies unfolded.")
]


def show_command(
    run_dir: RunDirArg,
    case_id: CaseArg,
    planner: PlannerOpt = None,
    repeat: RepeatOpt = None,
    full: FullOpt = False,
) -> None:
    """Print the transcript of CASE_ID's trial in RUN_DIR.

    Every model call (prompt, grammar, raw answer), the planner's decision, the plan, its
    steps and the score's explanation. Exit 2 with one line when there is none to show.
    """
    # A transcript is read with crane_bench.evals, whose package import loads pandas.
    require_extra("eval")
    from crane_bench.cli.show_view import print_transcript  # noqa: PLC0415 - rich tables
    from crane_bench.evals.errors import RunLogError  # noqa: PLC0415
    from crane_bench.evals.run_reader import read_run  # noqa: PLC0415

    try:
        run = read_run(run_dir)
        if not run.has_transcripts:
            fail(f"{run_dir}: no transcripts.jsonl (the run was made with --no-transcripts)")
        found = run.find_transcripts(case_id, planner)
    except RunLogError as exc:
        fail(str(exc))
    if repeat is not None:
        found = [t for t in found if t.repeat == repeat]
    if not found:
        who = f" by planner {planner!r}" if planner else ""
        again = f" in repeat {repeat}" if repeat is not None else ""
        fail(f"no transcript of case {case_id!r}{who}{again} in {run_dir}")
    labels = sorted({t.planner for t in found})
    if len(labels) > 1:
        fail(f"case {case_id!r} ran with planners {', '.join(labels)}: pick one with --planner")
    chosen = min(found, key=lambda t: t.repeat)
    print_transcript(Console(), chosen, full=full)
