"""`crane-bench robustness`: the hand-written robustness sets, measured.

`run` runs every `paraphrase_*.yaml` and `ood_*.yaml` of `--data` (or those `--sets`
names) as one eval run each and prints their figures; `read DIR...` prints the figures
of set runs already made; `compare BEFORE AFTER` pairs two output directories of `run`
case by case. What is measured: `evals.robustness_set_figures`. Generated perturbations
of the gold cases are `crane-bench eval --perturb`, not this.

Exit codes: 0 done; 1 a run failed; 2 a usage or input error (one line); 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Final

import typer

from crane_bench.cli.common import EXIT_GATE_FAILED, fail, print_error, require_extra

DATA_DIR: Final = Path(__file__).resolve().parents[2] / "tests" / "runtime" / "planners" / "data"
"""Where the set files are in a checkout (they are not installed with the package)."""
DEFAULT_PLANNERS: Final = "pattern,hybrid,llm"
EXIT_INTERRUPTED: Final = 130

robustness_app = typer.Typer(
    help="The hand-written robustness sets (paraphrase pairs, out-of-domain prompts): "
    "run them, read their runs, compare two.",
    no_args_is_help=True,
)

SetsOpt = Annotated[
    str | None,
    typer.Option(
        "--sets",
        help="Set files by stem or by the part after the prefix (dev picks paraphrase_dev "
        "and ood_dev), comma-separated, or all.",
        show_default=False,
    ),
]
PlannersOpt = Annotated[
    str | None,
    typer.Option("--planners", help="Planner specs, comma-separated.", show_default=False),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Output directory.", show_default=False)]
DetailsOpt = Annotated[
    bool,
    typer.Option(
        "--details",
        help="Also print which cases of held-out sets failed (reading them retires a set; "
        "dev sets always).",
    ),
]


def _guarded(work: Callable[[], object]) -> None:
    """Run `work`; a user's mistake is one line and exit 2, a failed run exit 1."""
    from crane_bench.cli.robustness_run import RunInterruptedError  # noqa: PLC0415
    from crane_bench.evals.errors import EvalError  # noqa: PLC0415 - evals loads pandas
    from crane_bench.runtime.errors import CraneRuntimeError, UserError  # noqa: PLC0415

    try:
        work()
    except (UserError, EvalError) as exc:
        fail(str(exc))
    except CraneRuntimeError as exc:
        fail(f"{type(exc).__name__}: {exc}", EXIT_GATE_FAILED)
    except RunInterruptedError as exc:
        print_error(str(exc))
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _argv(command: str, **options: object) -> list[str]:
    """The command's arguments as the figures file records them."""
    argv = [command]
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = f"--{name.replace('_', '-')}"
        argv += [flag] if value is True else [flag, str(value)]
    return argv


@robustness_app.command("run")
def run_command(
    sets: SetsOpt = None,
    planners: PlannersOpt = None,
    out: OutOpt = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Where the set files are (default: tests/runtime/planners/data of the checkout).",
            show_default=False,
        ),
    ] = None,
    details: DetailsOpt = False,
) -> None:
    """Run the planners over each set file (one eval run each) and print their figures.

    Default: every set, planners pattern,hybrid,llm, output in a new
    runs/robustness-sets-<stamp>/ (one run directory per set, and robustness_sets.json).
    """
    require_extra("eval")
    from rich.console import Console  # noqa: PLC0415

    from crane_bench.cli.robustness_run import measure  # noqa: PLC0415 - evals loads pandas
    from crane_bench.plumbing.run_files import DEFAULT_RUNS_DIR, run_stamp  # noqa: PLC0415

    chosen, specs = sets or "all", planners or DEFAULT_PLANNERS
    where = out or DEFAULT_RUNS_DIR / f"robustness-sets-{run_stamp()}"
    argv = _argv("run", sets=chosen, planners=specs, out=out, data=data, details=details)
    _guarded(
        lambda: measure(
            sets=chosen,
            planners=specs,
            out=where,
            data=data or DATA_DIR,
            console=Console(),
            argv=argv,
            details=details,
        )
    )


@robustness_app.command("read")
def read_command(
    runs: Annotated[list[Path], typer.Argument(help="Set run directories (made by run).")],
    sets: SetsOpt = None,
    planners: PlannersOpt = None,
    out: OutOpt = None,
    details: DetailsOpt = False,
) -> None:
    """Print the figures of set runs already made (and write them to --out if given)."""
    require_extra("eval")
    from rich.console import Console  # noqa: PLC0415

    from crane_bench.cli.robustness_run import labels_of, report_runs  # noqa: PLC0415

    argv = [*_argv("read", sets=sets, planners=planners, out=out, details=details)]
    argv += [str(run) for run in runs]
    _guarded(
        lambda: report_runs(
            runs,
            out=out,
            labels=labels_of(planners),
            console=Console(),
            argv=argv,
            sets=sets,
            details=details,
        )
    )


@robustness_app.command("compare")
def compare_command(
    before: Annotated[Path, typer.Argument(help="An output directory of run (say, before).")],
    after: Annotated[Path, typer.Argument(help="Another one (after).")],
    sets: SetsOpt = None,
    planners: PlannersOpt = None,
    out: OutOpt = None,
) -> None:
    """Compare two output directories of run: per set and planner, paired by case id."""
    require_extra("eval")
    from rich.console import Console  # noqa: PLC0415

    from crane_bench.cli.robustness_run import compare, labels_of  # noqa: PLC0415

    _guarded(
        lambda: compare(
            before, after, out=out, sets=sets, labels=labels_of(planners), console=Console()
        )
    )
