"""`crane-bench report`: (re)build the HTML reports of run directories, and the trend page.

Exit codes: 0 every report was built; 2 a directory is not a finished run or holds a
malformed file (one line each; the other reports are still built).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crane_bench.cli.common import EXIT_USAGE, fail, missing_extra, require_extra, stderr_console

RunDirsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Run directories (eval or load) to build the report of.",
        metavar="RUN_DIR",
        show_default=False,
    ),
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history",
        help="A directory of runs: write its trend page, history.html, into it.",
        show_default=False,
    ),
]


def report_after_run(run_dir: Path) -> None:
    """Build a finished run's report and name it on stderr (stdout is the run directory).

    A report that cannot be built is a warning here: the run itself and its exit code
    stand, and `crane-bench report RUN_DIR` can try again.
    """
    if (problem := missing_extra("reports")) is not None:
        stderr_console().print(
            f"[yellow]no report:[/] {escape(problem)}", highlight=False, soft_wrap=True
        )
        return
    from crane_bench.reports import ReportError, build_report_files  # noqa: PLC0415 - pandas, plotly

    try:
        files = build_report_files(run_dir)
    except ReportError as exc:
        stderr_console().print(
            f"[yellow]no report:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        return
    stderr_console().print(f"report: {escape(str(files.html))}", highlight=False, soft_wrap=True)


def report_command(run_dirs: RunDirsArg = None, history: HistoryOpt = None) -> None:
    """Build the report of each RUN_DIR: an HTML page, summary.md and junit.xml beside it.

    An eval run gets report.html, a load run load_report.html; each path goes to stdout.
    With --history RUNS, also write RUNS/history.html: the trends over every run in RUNS.
    Exit 0 when every report was built, 2 when a directory is not a finished run.
    """
    require_extra("reports")
    from crane_bench.reports import ReportError, build_history, build_report_files  # noqa: PLC0415

    if not run_dirs and history is None:
        fail("nothing to do: give run directories, or --history RUNS_DIR")
    broken = 0
    for run_dir in run_dirs or []:
        try:
            files = build_report_files(run_dir)
        except ReportError as exc:
            stderr_console().print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            broken += 1
            continue
        typer.echo(str(files.html))
    if history is not None:
        try:
            typer.echo(str(build_history(history)))
        except ReportError as exc:
            fail(str(exc))
    if broken:
        raise typer.Exit(EXIT_USAGE)
