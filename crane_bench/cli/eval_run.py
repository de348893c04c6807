"""The work of `crane-bench eval`, imported only when the command runs (pandas, scipy).

`crane_bench.cli.eval` declares the options; this module prepares the run directory,
runs the trials, prints the summary and decides the exit code.
"""

from __future__ import annotations

import asyncio

import typer
from pydantic import ValidationError

from crane_bench.cli.common import (
    EXIT_GATE_FAILED,
    EXIT_USAGE,
    fail,
    first_problem,
    load_settings,
    setup_logging,
    sigterm_as_interrupt,
    stderr_console,
)
from crane_bench.cli.eval import EvalOptions
from crane_bench.cli.eval_view import EvalProgress, print_summary
from crane_bench.cli.report import report_after_run
from crane_bench.evals.errors import EvalError
from crane_bench.evals.perturbations import parse_perturb_option
from crane_bench.evals.run_config import (
    EvalConfig,
    EvalSpec,
    build_spec,
    config_for_resume,
    default_case_timeout,
)
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.evals.settings import EvalSettings
from crane_bench.runtime.errors import CraneRuntimeError, UserError
from crane_bench.runtime.planners.specs import PlannerSpec, parse_specs
from crane_bench.runtime.settings import Settings

EXIT_INTERRUPTED = 130


def _prepare(settings: Settings, options: EvalOptions) -> tuple[EvalConfig, EvalSpec, RunDir]:
    planners, cases, repeats = options.planners, options.cases, options.repeats
    out, resume = options.out, options.resume
    # Only the options given: `EvalConfig` holds the defaults of the others.
    given = {
        "concurrency": options.concurrency,
        "gates_path": options.gates,
        "baseline_path": options.baseline,
        "case_timeout_s": options.case_timeout,
    }
    common: dict[str, object] = {key: value for key, value in given.items() if value is not None}
    common["use_cache"] = not options.no_cache
    chosen: tuple[PlannerSpec, ...] = (
        parse_specs(planners) if planners is not None else EvalConfig().planners
    )
    if resume is not None:
        if out is not None:
            raise UserError("--out and --resume cannot be used together")
        if (
            planners is not None
            or cases
            or repeats is not None
            or options.perturb
            or options.stop_when_decided
            or options.seed is not None
        ):
            raise UserError(
                "--resume takes the planners, cases, repeats, perturbations and stopping "
                "rule of the run it resumes"
            )
        if options.no_transcripts:
            raise UserError(
                "--resume writes transcripts if the run it resumes did: --no-transcripts "
                "cannot change that"
            )
        run = RunDir.existing(resume)
        spec = run.read_spec()
        return config_for_resume(spec, **common), spec, run
    new_run: dict[str, object] = {
        "planners": chosen,
        "case_timeout_s": default_case_timeout(chosen, settings),
        "perturbations": parse_perturb_option(options.perturb),
        "transcripts": not options.no_transcripts and EvalSettings().transcripts,
        "stop_when_decided": options.stop_when_decided,
    }
    if cases:
        new_run["case_paths"] = tuple(cases)
    if repeats is not None:
        new_run["repeats"] = repeats
    if options.seed is not None:
        new_run["order_seed"] = options.seed
    config = EvalConfig.model_validate({**new_run, **common})
    _check_sequential(config, options)
    spec = build_spec(config, settings)
    return config, spec, RunDir.create(out)


def _check_sequential(config: EvalConfig, options: EvalOptions) -> None:
    """Refuse what `--stop-when-decided` cannot do, in one line each."""
    if options.seed is not None and not config.stop_when_decided:
        raise UserError("--seed orders the cases of --stop-when-decided; give both")
    if not config.stop_when_decided:
        return
    if config.repeats > 1:
        raise UserError(
            "--stop-when-decided needs one trial per case (repeats are not new cases); "
            "drop --repeats"
        )
    if config.perturbations:
        raise UserError(
            "--stop-when-decided cannot pair every variant with its original: drop --perturb"
        )
    if config.baseline_path is not None:
        raise UserError(
            "--stop-when-decided cannot compare every case with a baseline: drop --baseline"
        )


def run_command(options: EvalOptions) -> None:
    """Run `crane-bench eval` with the options given (see `crane_bench.cli.eval`)."""
    setup_logging(options.verbose)
    try:
        settings = load_settings()
        config, spec, run = _prepare(settings, options)
    except (UserError, EvalError) as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(first_problem(exc))
    summary = _run(config, settings, run, spec, resume=options.resume is not None)
    print_summary(stderr_console(), summary)
    report_after_run(run.path)
    typer.echo(str(run.path))
    if not summary.gates.passed or summary.trials < summary.expected_trials:
        raise typer.Exit(EXIT_GATE_FAILED)


def _run(
    config: EvalConfig, settings: Settings, run: RunDir, spec: EvalSpec, *, resume: bool
) -> EvalSummary:
    sigterm_as_interrupt()
    try:
        with EvalProgress(stderr_console()) as progress:
            return asyncio.run(
                run_eval(config, settings, run, spec, resume=resume, progress=progress)
            )
    except KeyboardInterrupt:
        fail(
            f"interrupted; the finished trials are in {run.path}; "
            f"finish the run with: crane-bench eval --resume {run.path}",
            code=EXIT_INTERRUPTED,
        )
    except (UserError, EvalError) as exc:
        fail(str(exc), code=EXIT_USAGE)
    except CraneRuntimeError as exc:
        fail(f"{type(exc).__name__}: {exc}", code=EXIT_GATE_FAILED)
