"""What `crane-bench eval` shows on stderr: a progress bar per planner and the summary table."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from crane_bench.evals.figures import LatencyFigure, RateFigure
from crane_bench.evals.metric_registry import DEFAULT_METRICS, Metric, MetricRegistry
from crane_bench.evals.metrics import PlannerMetrics
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_dir import EvalSummary, Recovered, sequential_sentence


class EvalProgress:
    """A rich progress bar per planner: trials done of total, and how many were correct."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("correct {task.fields[correct]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._correct: dict[str, int] = {}

    def start(self, totals: Mapping[str, int], recovered: Recovered) -> None:
        """Add a bar per planner, counting what a resumed run already holds."""
        done: dict[str, int] = {}
        for planner, _, _ in recovered.done:
            done[planner] = done.get(planner, 0) + 1
        for planner, total in totals.items():
            self._correct[planner] = recovered.correct.get(planner, 0)
            self._tasks[planner] = self._progress.add_task(
                escape(planner),  # a label such as hybrid[strategy=llm-first] is no markup
                total=total,
                completed=done.get(planner, 0),
                correct=self._correct[planner],
            )

    def advance(self, row: TrialResult) -> None:
        """Count one finished trial."""
        task = self._tasks.get(row.planner)
        if task is None:
            return
        self._correct[row.planner] += row.end_to_end_correct
        self._progress.update(task, advance=1, correct=self._correct[row.planner])

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


def _rate(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "-"
    if ci is None:
        return f"{value:.3f}"
    return f"{value:.3f}\n{_short(ci[0])}-{_short(ci[1])}"


def _short(bound: float) -> str:
    # 0.79 -> .79 keeps an interval in 8 characters, so the table fits 80 columns.
    return f"{bound:.2f}".removeprefix("0")


def _number(value: float | None, metric: Metric) -> str:
    if value is None:
        return "-"
    if metric.fmt == "usd":
        return f"{value:.2g}"
    return f"{value:.1f}" if metric.fmt == "ms" else f"{value:.3g}"


def _cell(m: PlannerMetrics, metric: Metric) -> str:
    figure = m.figure(metric.name)
    if figure is None:
        return "-"
    if isinstance(figure, RateFigure):
        return _rate(figure.value, figure.ci)
    if isinstance(figure, LatencyFigure):
        return f"{_number(figure.p50, metric)}\n{_number(figure.p95, metric)}"
    return _number(figure.value, metric)


def _header(metric: Metric) -> str:
    return f"p50/p95 {metric.header}" if metric.kind == "latency" else metric.header


def summary_table(summary: EvalSummary, metrics: MetricRegistry = DEFAULT_METRICS) -> Table:
    """Planner x the registry's brief metrics; rates over their 95% intervals."""
    shown = metrics.shown("brief")
    table = Table(
        title=f"crane-bench eval {summary.run_id}",
        title_justify="left",
        caption="rates over their 95% CI; "
        + "; ".join(f"{m.header}: {m.description}" for m in shown if m.description),
        caption_justify="left",
        box=None,  # no rules: the table fits 80 columns, the width of a pipe or CI log
        padding=(0, 0, 0, 1),
        header_style="bold underline",
    )
    table.add_column("planner", justify="left")
    for metric in shown:
        table.add_column(escape(_header(metric)), justify="right")
    for name, m in summary.planners.items():
        # A label such as hybrid[strategy=llm-first] is no markup.
        table.add_row(f"{escape(name)}\nn={m.n}", *(_cell(m, metric) for metric in shown))
    return table


def print_summary(
    console: Console, summary: EvalSummary, metrics: MetricRegistry = DEFAULT_METRICS
) -> None:
    """The table, the paired comparisons, and the gates (each failing check on its line)."""
    console.print(summary_table(summary, metrics))
    if summary.latency_measurement is not None:
        console.print(escape(summary.latency_measurement.description), highlight=False, style="dim")
    for name, m in summary.planners.items():
        if m.pass_hat_k and m.pass_at_k and m.flaky_cases is not None:
            k = max(m.pass_hat_k)
            shown = ", ".join(m.flaky_cases[:5]) + (" ..." if len(m.flaky_cases) > 5 else "")
            console.print(
                f"{escape(name)}: {m.repeats} repeats of {m.cases} cases; pass^{k} "
                f"{m.pass_hat_k[k]:.3f}, pass@{k} {m.pass_at_k[k]:.3f}; "
                f"{len(m.flaky_cases)} flaky case(s){': ' + shown if shown else ''}",
                highlight=False,
            )
    for c in summary.comparisons:
        console.print(
            escape(
                f"{c.planner_a} vs {c.planner_b} ({c.metric}): {c.verdict} "
                f"({c.a_only} vs {c.b_only} discordant of {c.n_pairs}, p={c.p_value:.4f}); "
                f"{c.detectable}"
            ),
            highlight=False,
        )
    for planner, figures_of in summary.planners.items():
        ood = figures_of.by_category.get("out_of_domain")
        acted = ood.value("false_action_rate") if ood is not None else None
        if ood is not None and acted is not None:
            console.print(
                f"{planner} out_of_domain: false-action rate {acted:.3f} on {ood.cases} cases",
                highlight=False,
            )
        for name, figures in figures_of.robustness.items():
            flips = "n/a" if figures.flip_rate is None else f"{figures.flip_rate:.3f}"
            console.print(
                f"{planner} robustness {name}: accuracy {figures.accuracy:.3f} vs "
                f"{figures.original_accuracy:.3f}, flip rate {flips}; {figures.verdict}",
                highlight=False,
                soft_wrap=True,
            )
    if summary.trials < summary.expected_trials:
        missing = summary.expected_trials - summary.trials
        console.print(f"[yellow]{missing} trials did not finish[/]")
    gates = summary.gates
    ran = [check for check in gates.checks if not check.skipped]
    failed = gates.failures
    verdict = "[green]passed[/]" if gates.passed else "[bold red]FAILED[/]"
    console.print(
        f"gates {verdict}: {len(ran) - len(failed)} passed, {len(failed)} failed, "
        f"{len(gates.checks) - len(ran)} skipped"
    )
    notes = summary.gate_notes()
    sequential = summary.sequential
    decided = (
        {g.check for g in sequential.gates if g.status in ("pass", "fail")} if sequential else set()
    )
    if sequential is not None:
        console.print(escape(sequential_sentence(summary)), highlight=False, soft_wrap=True)
    for index, check in enumerate(gates.checks):
        note = notes.get(index)
        if check.failed or check.improved:
            console.print(escape(check.message), highlight=False, soft_wrap=True)
            if note:
                console.print(f"  {escape(note)}", highlight=False, style="dim", soft_wrap=True)
        elif index in decided:
            console.print(
                f"  {escape(check.message)}", highlight=False, style="dim", soft_wrap=True
            )
        elif note:
            shown = f"{check.name}: {note}"
            console.print(f"  {escape(shown)}", highlight=False, style="dim", soft_wrap=True)
