"""`crane-bench power RUN_DIR`: the cases a comparison needs, or what N cases can detect.

From the run's own discordance (how often each pair of planners disagreed) and alpha:
`--effect 0.03` gives the paired cases the exact McNemar test needs to find a difference
of 3 points 80% of the time, and the cases each gate on a rate needs to resolve a rate 3
points from its threshold; `--cases N` gives what N cases detect and resolve.

Exit codes: 0 printed; 2 the `[eval]` extra is missing, RUN_DIR holds no finished eval run,
or the options are wrong (one line each, no traceback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crane_bench.cli.common import fail, require_extra

RunDirArg = Annotated[
    Path, typer.Argument(help="A finished eval run directory.", show_default=False)
]
EffectOpt = Annotated[
    float | None,
    typer.Option(
        "--effect",
        help="A difference of accuracies, as a share (0.03 is 3 points).",
        show_default=False,
    ),
]
CasesOpt = Annotated[
    int | None, typer.Option("--cases", help="A number of cases.", show_default=False)
]


def power_command(run_dir: RunDirArg, effect: EffectOpt = None, cases: CasesOpt = None) -> None:
    """Print how many cases an effect needs (--effect), or what N cases detect (--cases).

    For each pair of planners the run compared (plan accuracy, exact McNemar, at the run's
    discordance and alpha, 80% power) and each gate on a rate against a number.
    """
    require_extra("eval")
    if (effect is None) == (cases is None):
        fail("give one of --effect (a share, e.g. 0.03) or --cases (a number of cases)")
    if effect is not None and not 0.0 < effect < 1.0:
        fail(
            f"--effect {effect:g}: a difference of accuracies lies between 0 and 1 "
            "(0.03 is 3 points)"
        )
    if cases is not None and cases < 1:
        fail(f"--cases {cases}: need at least one case")
    from pydantic import ValidationError  # noqa: PLC0415 - with the evals, when it runs

    from crane_bench.evals.power_plan import comparison_lines, gate_lines  # noqa: PLC0415
    from crane_bench.evals.run_dir import EvalSummary, RunDir  # noqa: PLC0415

    summary_file = RunDir(run_dir).summary_file
    if not summary_file.is_file():
        fail(f"{run_dir}: no summary.json (not a finished eval run)")
    try:
        summary = EvalSummary.model_validate_json(summary_file.read_bytes())
    except (OSError, ValidationError) as exc:
        problem = " ".join(str(exc).split())[:200]
        fail(f"{summary_file}: not an eval summary: {problem}")
    lines = comparison_lines(summary, effect=effect, cases=cases)
    lines += gate_lines(summary, effect=effect, cases=cases)
    typer.echo(f"run {summary.run_id}: 80% power; comparisons at each pair's discordance")
    for line in lines:
        typer.echo(line.text)
    if not lines:
        typer.echo("no comparison or gate on a rate to plan (one planner, no rate gates)")
