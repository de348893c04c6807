"""The hand-written robustness sets, measured: `python -m bench.robust_sets [options]`.

The sets live in `tests/runtime/planners/data/` (`--data`): every `paraphrase_*.yaml`
and `ood_*.yaml` there, found by name, so a new file of either shape is measured with
no change here. `--sets dev,holdout` picks files by the part after the prefix (`dev`
picks `paraphrase_dev.yaml` and `ood_dev.yaml`) or by their whole stem; `all` (the
default) picks every one.

How: each set file is one ordinary eval run (`evals.runner.run_eval`, the gold
suite's runner and scoring) of the chosen planners (`--planners`, specs as in
`crane-bench eval`; default `pattern,hybrid,llm`), one trial per case, no response
cache, into `--out/<set file stem>/`, so `crane-bench show` and `crane-bench report`
read it. LLM_TIMEOUT_S is 120 s unless set, so a busy machine makes a slow model slow,
not a timeout. An LLM planner on the local model starts it, as `crane-bench eval` does.
`--from-run DIR ...` reads runs already made instead of running anything.

What, per set and planner (printed, and written to `--out/robust_sets.json`):

- **Paraphrase sets** (cases `X-N-orig` / `X-N-para`, tags `[original, pair-N]` /
  `[paraphrase, pair-N]`, the same expected plan): the unit is the pair. Each case gets
  one verdict, `plan_correct` (the whole plan right: tools, count, inputs; a majority
  over repeats if there were any). Accuracy on the originals and on the paraphrases,
  each k/n with its Wilson 95% interval; the drop in points (original minus paraphrase);
  flips (original right, paraphrase wrong) and gains (the reverse); the exact McNemar
  test over the pairs (two-sided, on flips and gains) and its verdict in words; the
  flipped and gained pairs' case ids, to read their transcripts with `crane-bench show`.
- **Out-of-domain sets** (every case expects no step): false actions are the trials
  whose plan has any step, valid or not, k/n with the Wilson 95% interval (clustered by
  case when cases were repeated); each one's case id, prompt and tools. Beside it, the
  metric registry's `false_action_rate` numerator (valid plans with a step: what the
  gates count) and the trials that ended with no plan (planner error or timeout).

`--compare BEFORE AFTER` reads two output directories of this tool (say, the code
before and after a planner change; see `bench.robust_compare`): per set and planner,
the exact McNemar test of `plan_correct` paired by case id (cases better, worse, p) and
the change in paraphrase drop or false-action rate; written to `--out/compare.json`
when `--out` is given.

`python -m bench robust_sets` runs the same with `BENCH_ROBUST_SETS` (default `all`) and
`BENCH_ROBUST_PLANNERS` (default `pattern,hybrid`: the llm planner asks the model about
every case, about an hour over all sets on two cores, so `make bench` leaves it to
`BENCH_ROBUST_PLANNERS=pattern,hybrid,llm`). Nothing here is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console

from bench.robust_compare import RunComparison, compare_runs, find_set_runs
from bench.robust_figures import (
    KIND_PREFIXES,
    RobustSetsError,
    SetFigures,
    read_set_run,
    set_figures,
    set_suffix,
)
from bench.robust_view import print_comparison, print_figures
from crane_bench.cli.eval_view import EvalProgress
from crane_bench.evals.errors import EvalError
from crane_bench.evals.run_config import EvalConfig, build_spec, default_case_timeout
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.plumbing.run_files import DEFAULT_RUNS_DIR, run_stamp, write_atomically
from crane_bench.plumbing.validation import first_problem
from crane_bench.runtime.errors import CraneRuntimeError, UserError
from crane_bench.runtime.planners.specs import PlannerSpec, parse_spec, parse_specs, split_specs
from crane_bench.runtime.settings import Settings

ROOT: Final = Path(__file__).resolve().parent.parent
DATA_DIR: Final = ROOT / "tests" / "runtime" / "planners" / "data"
DEFAULT_SETS: Final = "all"
DEFAULT_PLANNERS: Final = "pattern,hybrid,llm"
BENCH_PLANNERS: Final = "pattern,hybrid"
"""`make bench`'s default: the hybrid asks the model only about clauses the rules miss."""
LLM_TIMEOUT_S: Final = 120.0
REPORT_FILE: Final = "robust_sets.json"
COMPARE_FILE: Final = "compare.json"
EXIT_USAGE: Final = 2
EXIT_FAILED: Final = 1
EXIT_INTERRUPTED: Final = 130


class RunInterruptedError(Exception):
    """The user stopped a set's run (Ctrl-C): one line naming where its trials are."""


class RobustSetsReport(BaseModel):
    """What `robust_sets.json` holds: the command's arguments and each set's figures."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: int = 1
    argv: list[str]
    """The arguments this was made with (`python -m bench.robust_sets ...`)."""
    sets: list[SetFigures]


def discover_sets(data: Path) -> dict[str, Path]:
    """Every `paraphrase_*.yaml` and `ood_*.yaml` in `data`, by stem, sorted.

    Raises:
        RobustSetsError: `data` is not a directory or holds no set file.
    """
    if not data.is_dir():
        raise RobustSetsError(f"--data {data}: not a directory")
    found = {
        path.stem: path
        for prefix in KIND_PREFIXES.values()
        for path in data.glob(f"{prefix}*.yaml")
    }
    if not found:
        raise RobustSetsError(f"--data {data}: no paraphrase_*.yaml or ood_*.yaml in it")
    return dict(sorted(found.items()))


def choose_sets(available: Sequence[str], wanted: str) -> list[str]:
    """The stems `--sets` names: `all`, or names matching a stem or its part after the prefix.

    Raises:
        RobustSetsError: A name matches no set.
    """
    names = [name.strip() for name in wanted.split(",")]
    if names == ["all"]:
        return list(available)
    chosen: list[str] = []
    for name in names:
        matches = [stem for stem in available if name in (stem, set_suffix(stem))]
        if not matches:
            known = sorted({set_suffix(stem) for stem in available})
            raise RobustSetsError(f"--sets: {name!r} names no set; known: {', '.join(known)}, all")
        chosen += [stem for stem in matches if stem not in chosen]
    return [stem for stem in available if stem in chosen]


def eval_settings() -> Settings:
    """The runtime settings, with one model call's timeout at 120 s unless it is set."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise RobustSetsError(f"settings: {first_problem(exc)}") from None
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
            f"crane-bench eval --resume {out}, then read them with --from-run"
        ) from None
    if summary.trials < summary.expected_trials:
        console.print(f"[yellow]{set_file.name}: {summary.trials} of {summary.expected_trials} ran")
    return out


def _labels(text: str | None) -> list[str] | None:
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
) -> RobustSetsReport:
    """Run the chosen sets with the chosen planners into `out`, print and write the figures.

    Raises:
        RobustSetsError, UserError: Bad arguments, set files or settings.
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
) -> RobustSetsReport:
    """Print the figures of set runs already made, and write them to `out` if given."""
    read = [read_set_run(path) for path in runs]
    if sets is not None:
        wanted = set(choose_sets([run.name for run in read], sets))
        read = [run for run in read if run.name in wanted]
    if labels is not None and read:
        ran = {str(planner) for run in read for planner in run.trials["planner"].unique()}
        if absent := sorted(set(labels) - ran):
            raise RobustSetsError(
                f"no run here has trials of {', '.join(absent)} (they ran {', '.join(sorted(ran))})"
            )
    report = RobustSetsReport(argv=argv, sets=[set_figures(run, labels) for run in read])
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
    """Compare two output directories, print it, and write it to `out` if given."""
    old, new = find_set_runs(before), find_set_runs(after)
    chosen = None if sets is None else choose_sets(sorted(old.keys() | new.keys()), sets)
    result = compare_runs(old, new, before=before, after=after, sets=chosen, labels=labels)
    print_comparison(console, result)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / COMPARE_FILE, result.model_dump_json(indent=2) + "\n")
        console.print(f"comparison: {out / COMPARE_FILE}")
    return result


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (raised, then printed by `cli`)."""

    def error(self, message: str) -> NoReturn:
        raise RobustSetsError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bench.robust_sets",
        description="Measure the planners on the hand-written paraphrase and out-of-domain "
        "sets (see the module docstring for what is measured).",
    )
    parser.add_argument("--sets", help="dev,holdout,... (stems or their part after the "
                        "prefix) or all; default all")  # fmt: skip
    parser.add_argument("--planners", help=f"planner specs to run (default {DEFAULT_PLANNERS}); "
                        "with --from-run or --compare, the labels to show")  # fmt: skip
    parser.add_argument("--out", type=Path, help="output directory (default: a new "
                        "runs/robust-sets-<stamp>; with --from-run or --compare, "
                        "none)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="where the set files are")
    parser.add_argument(
        "--details",
        action="store_true",
        help="also print which cases of "
        "held-out sets failed (reading them retires a set; dev sets always)",
    )
    parser.add_argument("--from-run", type=Path, nargs="+", metavar="DIR",
                        help="read these set runs instead of running")  # fmt: skip
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                        help="compare two output directories of this tool")  # fmt: skip
    return parser


def _dispatch(argv: list[str], console: Console) -> None:
    args = _parser().parse_args(argv)
    if args.compare is not None and args.from_run is not None:
        raise RobustSetsError("--compare and --from-run cannot be used together")
    if args.compare is not None:
        before, after = args.compare
        compare(
            before, after, out=args.out, sets=args.sets, labels=_labels(args.planners),
            console=console,
        )  # fmt: skip
    elif args.from_run is not None:
        report_runs(
            args.from_run, out=args.out, labels=_labels(args.planners), console=console,
            argv=argv, sets=args.sets, details=args.details,
        )  # fmt: skip
    else:
        measure(
            sets=args.sets or DEFAULT_SETS,
            planners=args.planners or DEFAULT_PLANNERS,
            out=args.out or DEFAULT_RUNS_DIR / f"robust-sets-{run_stamp()}",
            data=args.data,
            console=console,
            argv=argv,
            details=args.details,
        )


def cli(argv: list[str], console: Console | None = None) -> int:
    """The command line: 0 when done, 2 on a usage or input error, 1 when a run failed."""
    console = console or Console()
    errors = Console(stderr=True)
    try:
        _dispatch(argv, console)
    except (RobustSetsError, UserError, EvalError) as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except CraneRuntimeError as exc:
        errors.print(f"error: {type(exc).__name__}: {exc}", markup=False, soft_wrap=True)
        return EXIT_FAILED
    except RunInterruptedError as exc:
        errors.print(f"{exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_INTERRUPTED
    return 0


def main(console: Console) -> None:
    """`python -m bench robust_sets`: every set, planners from the environment."""
    sets = os.environ.get("BENCH_ROBUST_SETS", DEFAULT_SETS)
    planners = os.environ.get("BENCH_ROBUST_PLANNERS", BENCH_PLANNERS)
    argv = ["--sets", sets, "--planners", planners]
    measure(
        sets=sets,
        planners=planners,
        out=DEFAULT_RUNS_DIR / f"robust-sets-{run_stamp()}",
        data=DATA_DIR,
        console=console,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
