"""What `crane-bench robustness` does: run the sets, read set runs, compare two directories.

Each set file is one ordinary eval run (`evals.runner.run_eval`, the gold suite's runner
and scoring) of the chosen planners, one trial per case, no response cache, into
`<out>/<set file stem>/`, so `crane-bench show` and `crane-bench report` read it.
LLM_TIMEOUT_S is 120 s unless set, so a busy machine makes a slow model slow, not a
timeout. An LLM planner on the local model starts it, as `crane-bench eval` does. The
figures are `evals.robustness_set_figures`, the comparison `evals.robustness_compare`.
Nothing here is timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from pydantic import ValidationError
from rich.console import Console

from crane_bench.cli.eval_view import EvalProgress
from crane_bench.cli.robustness_view import print_comparison, print_figures
from crane_bench.evals.errors import RobustnessSetError
from crane_bench.evals.robustness_compare import RunComparison, compare_runs
from crane_bench.evals.robustness_set_figures import RobustnessSetsReport, set_figures
from crane_bench.evals.robustness_sets import (
    choose_sets,
    discover_sets,
    find_set_runs,
    read_set_run,
)
from crane_bench.evals.run_config import EvalConfig, build_spec, default_case_timeout
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.plumbing.run_files import write_atomically
from crane_bench.plumbing.validation import first_problem
from crane_bench.runtime.planners.specs import PlannerSpec, parse_spec, parse_specs, split_specs
from crane_bench.runtime.settings import Settings

LLM_TIMEOUT_S: Final = 120.0
REPORT_FILE: Final = "robustness_sets.json"
COMPARE_FILE: Final = "compare.json"


class RunInterruptedError(Exception):
    """The user stopped a set's run (Ctrl-C): one line naming where its trials are."""


def eval_settings() -> Settings:
    """The runtime settings, with one model call's timeout at 120 s unless it is set.

    Raises:
        RobustnessSetError: The settings do not validate.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        raise RobustnessSetError(f"settings: {first_problem(exc)}") from None
    if "llm_timeout_s" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"llm_timeout_s": LLM_TIMEOUT_S})


def run_set(
    set_file: Path,
    out: Path,
    planners: tuple[PlannerSpec, ...],
    settings: Settings,
    console: Console,
) -> Path:
    """Run `planners` over one set file into the run directory `out`; return `out`."""
    config = EvalConfig(
        planners=planners,
        case_paths=(set_file,),
        case_timeout_s=default_case_timeout(planners, settings),
        use_cache=False,
    )
    run = RunDir.create(out)
    console.print(f"[bold]{set_file.name}[/] -> {out}")
    try:
        with EvalProgress(console) as progress:
            summary = asyncio.run(
                run_eval(config, settings, run, build_spec(config, settings), progress=progress)
            )
    except KeyboardInterrupt:
        raise RunInterruptedError(
            f"interrupted; the finished trials are in {out}: finish them with "
            f"crane-bench eval --resume {out}, then read them with crane-bench robustness read"
        ) from None
    if summary.trials < summary.expected_trials:
        console.print(f"[yellow]{set_file.name}: {summary.trials} of {summary.expected_trials} ran")
    return out


def labels_of(text: str | None) -> list[str] | None:
    """The labels of a `--planners` list, to filter runs already made by."""
    return None if text is None else [parse_spec(part).label for part in split_specs(text)]


def measure(
    *,
    sets: str,
    planners: str,
    out: Path,
    data: Path,
    console: Console,
    argv: list[str],
    details: bool = False,
) -> RobustnessSetsReport:
    """Run the chosen sets with the chosen planners into `out`, print and write the figures.

    Raises:
        RobustnessSetError, UserError: Bad arguments, set files or settings.
    """
    specs = parse_specs(planners)
    settings = eval_settings()
    found = discover_sets(data)
    stems = choose_sets(list(found), sets)
    for stem in stems:  # before the first trial: a long run must not stop half way
        RunDir.create(out / stem)
    runs = [run_set(found[stem], out / stem, specs, settings, console) for stem in stems]
    return report_runs(runs, out=out, labels=None, console=console, argv=argv, details=details)


def report_runs(
    runs: Sequence[Path],
    *,
    out: Path | None,
    labels: list[str] | None,
    console: Console,
    argv: list[str],
    sets: str | None = None,
    details: bool = False,
) -> RobustnessSetsReport:
    """Print the figures of set runs already made, and write them to `out` if given.

    Raises:
        RobustnessSetError: A run is not a set's run, or no run has a planner of `labels`.
    """
    read = [read_set_run(path) for path in runs]
    if sets is not None:
        wanted = set(choose_sets([run.name for run in read], sets))
        read = [run for run in read if run.name in wanted]
    if labels is not None and read:
        ran = {str(planner) for run in read for planner in run.trials["planner"].unique()}
        if absent := sorted(set(labels) - ran):
            raise RobustnessSetError(
                f"no run here has trials of {', '.join(absent)} (they ran {', '.join(sorted(ran))})"
            )
    report = RobustnessSetsReport(argv=argv, sets=[set_figures(run, labels) for run in read])
    print_figures(console, report.sets, details=details)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / REPORT_FILE, report.model_dump_json(indent=2) + "\n")
        console.print(f"figures: {out / REPORT_FILE}")
    return report


def compare(
    before: Path,
    after: Path,
    *,
    out: Path | None,
    sets: str | None,
    labels: list[str] | None,
    console: Console,
) -> RunComparison:
    """Compare two output directories, print it, and write it to `out` if given.

    Raises:
        RobustnessSetError: A directory holds no set run, or `sets` names none.
    """
    old, new = find_set_runs(before), find_set_runs(after)
    chosen = None if sets is None else choose_sets(sorted(old.keys() | new.keys()), sets)
    result = compare_runs(old, new, before=before, after=after, sets=chosen, labels=labels)
    print_comparison(console, result)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / COMPARE_FILE, result.model_dump_json(indent=2) + "\n")
        console.print(f"comparison: {out / COMPARE_FILE}")
    return result
