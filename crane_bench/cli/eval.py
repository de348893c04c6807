"""`crane-bench eval`: run planners over the gold cases, summarise, and apply the gates.

Exit codes: 0 every gate passed; 1 a gate failed (or trials are missing); 2 a usage or
configuration error (one line, no traceback); 130 interrupted (the rows written so far
are kept, and `--resume DIR` finishes the run).

Only the options live here: the work is in `crane_bench.cli.eval_run`, imported when the
command runs, so `crane-bench --help` and the other commands never load pandas or scipy.
An option not given is left out of the run's config, so its default is the one of
`evals.run_config.EvalConfig`; the `[default: ...]` shown in the help is only a label
(the model cannot be imported for `--help`), and tests/crane_bench/cli/test_defaults.py
holds every label equal to the model's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from crane_bench.cli.common import require_extra

PlannersOpt = Annotated[
    str | None,
    typer.Option(
        "--planners",
        # typer renders help as rich markup: "\\[" shows a literal bracket.
        help="Comma-separated planner specs, \\[LABEL=]NAME\\[\\[key=value,...]]: pattern, llm, "
        "hybrid, or module.path:attr. Quote them for the shell, e.g. "
        "--planners 'pattern,hybrid\\[strategy=llm-first],gemma=llm\\[model=gemma3-270m]'. "
        "Parameters: llm\\[model,mode,base_url], hybrid\\[model,mode,base_url,strategy]. "
        "Results key on the label (LABEL=, else the spec as written).",
        show_default="pattern,llm,hybrid",
    ),
]
CasesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--cases", help="Case file or directory; repeat for more.", show_default="evals/cases"
    ),
]
RepeatsOpt = Annotated[
    int | None,
    typer.Option("--repeats", min=1, help="Trials per case and planner.", show_default="1"),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", min=1, help="Trials in flight.", show_default="4"),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Run directory to create.", show_default="runs/<UTC time>-<6 hex>"),
]
ResumeOpt = Annotated[
    Path | None, typer.Option("--resume", help="Finish an interrupted run in this directory.")
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the LLM response cache.")
]
NoTranscriptsOpt = Annotated[
    bool,
    typer.Option(
        "--no-transcripts",
        help="Do not write transcripts.jsonl (every model call of every trial); for huge "
        "runs. EVAL_TRANSCRIPTS=false does the same.",
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option("--baseline", help="A baseline run's summary.json: adds the regression gate."),
]
GatesOpt = Annotated[
    Path | None,
    typer.Option("--gates", help="Quality gates file.", show_default="evals/gates.yaml"),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--case-timeout",
        min=0.001,
        help="Seconds per trial: planning and execution. Longer by default when the LLM "
        "planner's own timeout x attempts is (so its fallback fires first).",
        show_default="60",
    ),
]
PerturbOpt = Annotated[
    str | None,
    typer.Option(
        "--perturb",
        help="Comma-separated perturbations, or all: run a variant of each case per "
        "perturbation beside it (casing, punctuation, whitespace, polite, filler, typos, "
        "synonyms, number_format, clause_order).",
        show_default="none",
    ),
]
StopOpt = Annotated[
    bool,
    typer.Option(
        "--stop-when-decided",
        help="Run the cases in a seeded random order and stop each planner once every gate "
        "that reads it is decided by anytime-valid sequential tests (at the gates file's "
        "sequential.alpha); the summary says where and why.",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed", min=0, help="Seed of the case order of --stop-when-decided.", show_default="0"
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")]


@dataclass(frozen=True)
class EvalOptions:
    """The options of `crane-bench eval`, as given (None: not given)."""

    planners: str | None
    cases: list[Path] | None
    repeats: int | None
    concurrency: int | None
    out: Path | None
    resume: Path | None
    no_cache: bool
    baseline: Path | None
    gates: Path | None
    case_timeout: float | None
    verbose: bool
    perturb: str | None = None
    no_transcripts: bool = False
    stop_when_decided: bool = False
    seed: int | None = None


def eval_command(  # noqa: PLR0917 - typer reads each option from a parameter
    planners: PlannersOpt = None,
    cases: CasesOpt = None,
    repeats: RepeatsOpt = None,
    concurrency: ConcurrencyOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = None,
    no_cache: NoCacheOpt = False,
    baseline: BaselineOpt = None,
    gates: GatesOpt = None,
    case_timeout: TimeoutOpt = None,
    verbose: VerboseOpt = False,
    perturb: PerturbOpt = None,
    no_transcripts: NoTranscriptsOpt = False,
    stop_when_decided: StopOpt = False,
    seed: SeedOpt = None,
) -> None:
    """Evaluate planners on the gold cases; write a run directory and apply the gates.

    Progress and the summary table go to stderr; the run directory's path to stdout.
    Exit 0 when every gate passes, 1 when one fails, 2 on a usage or configuration error.
    """
    require_extra("eval")
    from crane_bench.cli.eval_run import run_command  # noqa: PLC0415 - pandas, scipy

    run_command(
        EvalOptions(
            planners, cases, repeats, concurrency, out, resume, no_cache, baseline, gates,
            case_timeout, verbose, perturb, no_transcripts, stop_when_decided, seed,
        )
    )  # fmt: skip
