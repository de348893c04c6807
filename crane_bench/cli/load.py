"""`crane-bench load`: load the service with locust, summarise, and apply the SLO gates.

Exit codes: 0 every gate passed; 1 a gate failed (each failing check on its own line),
or the service or locust broke; 2 a usage or configuration error (one line); 130
interrupted (the summary of what ran is still written).

This module wires things and nothing else: it builds the `crane-bench serve` command
the runner starts, and never imports locust (gevent's monkey-patching stays in the
locust child process). `crane_bench.load` itself (yaml, prometheus_client, psutil) is
imported when the command runs, so `crane-bench --help` and the other commands skip it.
So an option not given is left out of the `LoadConfig`, whose default it then takes; the
`[default: ...]` in the help is only a label, and tests/crane_bench/cli/test_defaults.py
holds every label equal to the model's default.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from pydantic import ValidationError

from crane_bench.cli.common import (
    EXIT_GATE_FAILED,
    fail,
    load_settings,
    require_extra,
    setup_logging,
    stderr_console,
)
from crane_bench.cli.report import report_after_run
from crane_bench.plumbing.validation import first_problem as validation_problem
from crane_bench.runtime.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from crane_bench.load import LoadSummary
    from crane_bench.load.config import Unloaded

# `load.config.Scenario` and `Shape`, spelled out: typer reads them when it builds the
# app, and importing `crane_bench.load` for them would load it for every command.
# tests/load/test_cli_usage.py holds them equal.
Scenario = Literal["calculator", "todo", "multi_step", "health", "mixed", "gold"]
Shape = Literal["steady", "step", "spike", "soak"]

EXIT_INTERRUPTED = 130
MAX_FAILURE_LINES = 5


def serve_command(planner: str) -> Callable[[int], list[str]]:
    """The command that serves the runtime with `planner` on a loopback port."""

    def command(port: int) -> list[str]:
        return [
            sys.executable, "-m", "crane_bench.cli.app", "serve",
            "--host", "127.0.0.1", "--port", str(port), "--planner", planner,
        ]  # fmt: skip

    return command


def planner_choice(planner: str | None, host: str | None) -> tuple[tuple[str, ...], str]:
    """(the labels runs ask for in turn, what a service started here serves) for `--planner`.

    A name (`pattern`, `llm`, `hybrid`) is both. Planner specs (`runtime.planners.specs`,
    one or a comma-separated list) are served as given and asked for by their labels, so
    one load compares them. With `--host` the values are names or labels of planners on
    that server, sent as they are.

    Raises:
        ConfigError: A bad spec.
    """
    from crane_bench.runtime.planners.specs import BUILTIN, parse_specs, split_specs  # noqa: PLC0415

    chosen = planner if planner is not None or host else load_settings().planner
    if chosen is None:
        return (), "pattern"
    if chosen in BUILTIN:
        return (chosen,), chosen
    if host:
        return tuple(split_specs(chosen)), chosen
    return tuple(spec.label for spec in parse_specs(chosen)), chosen


def _steps(text: str | None) -> tuple[int, ...] | None:
    from crane_bench.load import LoadConfigError  # noqa: PLC0415

    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise LoadConfigError(f"--steps {text!r}: expected user counts, e.g. 1,2,4,8") from None


def _unloaded(text: str) -> Unloaded | Path:
    return text if text in ("pass", "none") else Path(text)  # type: ignore[return-value]


def load_command(  # noqa: PLR0917 - typer reads each option from a parameter
    scenario: Annotated[
        Scenario | None,
        typer.Option(help="Locust file under load/scenarios/.", show_default="mixed"),
    ] = None,
    users: Annotated[
        int | None, typer.Option(min=1, help="Concurrent users (the peak).", show_default="50")
    ] = None,
    spawn_rate: Annotated[
        float | None,
        typer.Option(min=0.001, help="Users started per second.", show_default="10.0"),
    ] = None,
    run_time: Annotated[
        str | None, typer.Option(help="How long: 30s, 2m, 1h30m.", show_default="60s")
    ] = None,
    shape: Annotated[
        Shape | None,
        typer.Option(help="steady, step (5 steps), spike, soak.", show_default="steady"),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(min=0.001, help="Open workload: arrivals/s at full users (else closed)."),
    ] = None,
    planner: Annotated[
        str | None,
        typer.Option(
            help="Planner to run: a name, or planner specs as for eval --planners, e.g. "
            "'pattern,hybrid\\[strategy=llm-first]': each run asks for the next label in "
            "turn, so one load compares them.",
            show_default="PLANNER or pattern, or the --host's",
        ),
    ] = None,
    cases: Annotated[
        list[Path] | None,
        typer.Option(
            "--cases",
            help="gold: case file or directory; repeat for more.",
            show_default="evals/cases",
        ),
    ] = None,
    unloaded: Annotated[
        str | None,
        typer.Option(
            help="gold: what accuracy under load is compared with: 'pass' (each case once, "
            "one at a time, through the same service before the load), 'none', or an eval "
            "run directory that scored the same planner labels.",
            show_default="pass",
        ),
    ] = None,
    steps: Annotated[
        str | None,
        typer.Option(
            help="step shape: the users of each step, e.g. 1,2,4,8 (sets --users to the largest).",
            show_default="five equal steps up to --users",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Load this running service instead of starting one.")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="locust processes (N > 1: master + N workers).", show_default="1"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run directory. [default: runs/load-<UTC time>-<hex>]")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A previous load_summary.json: adds regression gates.")
    ] = None,
    slo: Annotated[
        Path | None, typer.Option(help="SLO gates file.", show_default="load/slo.yaml")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the prompt draws.", show_default="0")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Load the service with locust; write load_summary.json; apply the SLO gates.

    Starts the service on a free loopback port (unless --host), and stops it after.

    The summary goes to stderr, the run directory's path to stdout.

    Exit 0: every gate passed; 1: a gate failed; 2: a usage or configuration error.
    """
    setup_logging(verbose)
    require_extra("load")
    from crane_bench.load import (  # noqa: PLC0415 - see the module's docstring
        LoadConfig,
        LoadConfigError,
        LoadError,
        new_run_dir,
        parse_duration,
        run_load,
    )

    try:
        asked, served = planner_choice(planner, host)
        user_steps = _steps(steps)
        # Only the options given: `LoadConfig` holds the defaults of the others.
        given = {
            "scenario": scenario,
            "users": max(user_steps) if user_steps else users,
            "spawn_rate": spawn_rate,
            "run_time_s": parse_duration(run_time) if run_time is not None else None,
            "shape": shape,
            "rate": rate,
            "host": host.rstrip("/") if host else None,
            "processes": processes,
            "seed": seed,
            "slo": slo,
            "baseline": baseline,
            "steps": user_steps,
            "unloaded": _unloaded(unloaded) if unloaded is not None else None,
            "cases": tuple(cases) if cases else None,
        }
        config = LoadConfig.model_validate(
            # A service started here runs the PLANNER setting unless told otherwise.
            {"planners": asked, **{k: v for k, v in given.items() if v is not None}}
        )
    except (LoadConfigError, UserError) as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(validation_problem(exc, top=None))
    run_dir = out if out is not None else new_run_dir()
    service = None if config.host else serve_command(served)
    try:
        summary = run_load(
            config,
            run_dir,
            service=service,
            progress=lambda line: stderr_console().print(f"[dim]{line}[/]"),
        )
    except LoadConfigError as exc:
        fail(str(exc))
    except LoadError as exc:
        fail(f"{type(exc).__name__}: {exc}", code=EXIT_GATE_FAILED)
    except KeyboardInterrupt:
        fail("interrupted before locust measured anything", code=EXIT_INTERRUPTED)
    print_summary(stderr_console(), summary)
    if not summary.interrupted:
        report_after_run(run_dir)
    typer.echo(str(run_dir))
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if not summary.gates.passed:
        raise typer.Exit(EXIT_GATE_FAILED)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def summary_table(summary: LoadSummary) -> Table:
    """Requests, rate, failures and latency by request type, and all HTTP together."""
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=f"load: {summary.config.scenario} against {summary.host}")
    for column in ("type", "requests", "req/s", "failures", "p50 ms", "p95 ms", "p99 ms", "max"):
        table.add_column(column, justify="left" if column == "type" else "right")
    groups = [*summary.requests.by_type.items(), ("all HTTP", summary.requests.http)]
    for name, g in groups:
        table.add_row(
            name, f"{g.requests:,}", f"{g.requests_per_s:,.1f}",
            f"{g.failures:,} ({g.fail_ratio:.1%})",
            _ms(g.p50_ms), _ms(g.p95_ms), _ms(g.p99_ms), _ms(g.max_ms),
        )  # fmt: skip
    return table


def print_summary(console: Console, summary: LoadSummary) -> None:
    """The table, the rate, CPU and server counts, then the gates (failing ones each on a line)."""
    console.print(summary_table(summary))
    if summary.interrupted:
        console.print(
            f"[yellow]interrupted[/]: the numbers cover the first "
            f"{summary.requests.duration_s:.1f} s only"
        )
    if summary.host_gone is not None:
        console.print(
            f"[bold red]host gone[/]: {summary.host_gone.describe(summary.host)}",
            highlight=False,
            soft_wrap=True,
        )
    rate = summary.rate
    line = f"arrivals {rate.achieved_per_s:,.1f}/s"
    if rate.target_per_s is not None:
        expected = f"{rate.expected_per_s:,.1f}" if rate.expected_per_s is not None else "-"
        ratio = f"{rate.ratio:.0%}" if rate.ratio is not None else "-"
        line += f" against {expected}/s expected (target {rate.target_per_s:g}/s): {ratio}"
    line += f"; peak users {summary.peak_users}"
    if summary.unfinished_runs:
        line += f"; {summary.unfinished_runs} run(s) still in flight at the end"
    console.print(line)
    cpu = summary.generator_cpu
    console.print(
        f"load generator CPU {cpu.cores_used:.2f} cores ({cpu.share:.0%} of {cpu.cores}), "
        f"{cpu.processes} process(es)"
        + (
            f"; service CPU {summary.service_cpu.cores_used:.2f} cores"
            if summary.service_cpu
            else ""
        )
    )
    if summary.server is not None:
        server = summary.server
        console.print(
            f"server: runs {server.runs_by_status or '{}'}, retries {server.step_retries}, "
            f"fallbacks {server.fallbacks or '{}'}, rejected {server.rejected or '{}'}"
        )
    elif summary.server_error:
        console.print(f"server counts unavailable: {summary.server_error}")
    if summary.quality is not None:
        from crane_bench.cli.load_quality import print_quality  # noqa: PLC0415

        print_quality(console, summary.quality)
    for failure in summary.requests.failures[:MAX_FAILURE_LINES]:
        console.print(
            f"failure: {failure.request_type} {failure.name}: {failure.error} "
            f"x{failure.occurrences:,}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    failed = summary.gates.failures
    verdict = "[green]passed[/]" if summary.gates.passed else "[bold red]FAILED[/]"
    console.print(f"gates {verdict}: {len(summary.gates.checks)} checks, {len(failed)} failed")
    for check in failed:
        console.print(check.message, highlight=False, markup=False, soft_wrap=True)
