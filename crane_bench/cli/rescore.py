"""`crane-bench rescore`: judge a finished run's stored plans again, without planning again.

Exit codes, as `eval`'s: 0 every gate passed; 1 a gate failed (or trials are missing);
2 a usage error, or a run that cannot be re-scored (a case's prompt changed, a case or
case file is gone, the run did not finish: no summary, a torn last line or trials
missing, with a pointer to `eval --resume`), one line and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from crane_bench.cli.common import (
    EXIT_GATE_FAILED,
    fail,
    require_extra,
    setup_logging,
    stderr_console,
)

if TYPE_CHECKING:
    from crane_bench.evals.rescore_run import RescoreResult

RunDirArg = Annotated[
    Path, typer.Argument(help="A finished eval run directory.", metavar="RUN_DIR")
]
GatesOpt = Annotated[
    Path | None,
    typer.Option("--gates", help="Quality gates file.", show_default="the run's gates file"),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="A baseline run's summary.json or directory: adds the regression gate.",
        show_default="the run's baseline, if any",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")]
MAX_LISTED = 50
"""Outcome changes listed in the table; the rest are counted."""


def rescore_command(
    run_dir: RunDirArg,
    gates: GatesOpt = None,
    baseline: BaselineOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Re-score RUN_DIR's stored plans against its case files as they are now.

    Outcomes, summary, gates and report are recomputed; no planner is asked again.
    A case whose prompt changed is refused (exit 2): its trials must run again.
    The rows as the run wrote them are kept in results.pre-rescore.jsonl.
    Exit 0 when every gate passes, 1 when one fails, 2 on a usage error.
    """
    require_extra("eval")
    setup_logging(verbose)
    import asyncio  # noqa: PLC0415 - not for `--help` and the other commands

    from crane_bench.cli.eval_view import print_summary  # noqa: PLC0415 - pandas, scipy
    from crane_bench.cli.report import report_after_run  # noqa: PLC0415
    from crane_bench.evals.errors import EvalError  # noqa: PLC0415
    from crane_bench.evals.rescore_run import rescore_run  # noqa: PLC0415
    from crane_bench.runtime.errors import UserError  # noqa: PLC0415

    try:
        result = asyncio.run(rescore_run(run_dir, gates_path=gates, baseline_path=baseline))
    except (UserError, EvalError) as exc:
        fail(str(exc))
    print_changes(result)
    print_summary(stderr_console(), result.summary)
    report_after_run(run_dir)
    typer.echo(str(run_dir))
    summary = result.summary
    if not summary.gates.passed or summary.trials < summary.expected_trials:
        raise typer.Exit(EXIT_GATE_FAILED)


def print_changes(result: RescoreResult) -> None:
    """The cases whose expectations changed, and the trials whose outcome class changed."""
    if result.removed_temps:
        names = ", ".join(path.name for path in result.removed_temps)
        stderr_console().print(
            f"removed {len(result.removed_temps)} temporary file(s) an interrupted "
            f"re-scoring left: {escape(names)}",
            highlight=False,
            soft_wrap=True,
        )
    for case in result.case_changes:
        stderr_console().print(
            f"case {escape(case.case_id)}: {', '.join(case.fields)} changed",
            highlight=False,
        )
    changes = result.outcome_changes
    if not changes:
        stderr_console().print(
            f"no outcome changed ({result.rows_changed} rows updated)", highlight=False
        )
        return
    from rich.table import Table  # noqa: PLC0415 - only this report draws a table

    table = Table(
        title=f"{len(changes)} trials changed outcome class",
        title_justify="left",
        box=None,
        padding=(0, 1, 0, 0),
        header_style="bold underline",
    )
    for column in ("case", "planner", "repeat", "old", "", "new"):
        table.add_column(column)
    for change in changes[:MAX_LISTED]:
        style = "green" if change.new.value == "correct" else "red"
        table.add_row(
            escape(change.case_id),
            escape(change.planner),
            str(change.repeat),
            change.old.value,
            "->",
            f"[{style}]{change.new.value}[/]",
        )
    stderr_console().print(table)
    if len(changes) > MAX_LISTED:
        stderr_console().print(f"... and {len(changes) - MAX_LISTED} more", highlight=False)
    if result.backup is not None:
        stderr_console().print(f"the rows as the run wrote them: {escape(str(result.backup))}")
