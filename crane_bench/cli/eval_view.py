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

from evals.metrics import PlannerMetrics
from evals.results import TrialResult
from evals.run_dir import EvalSummary, Recovered


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


def _row(name: str, m: PlannerMetrics) -> list[str]:
    return [
        f"{escape(name)}\nn={m.n}",  # a label such as hybrid[strategy=llm-first] is no markup
        _rate(m.plan_accuracy, m.plan_accuracy_ci),
        _rate(m.tool_accuracy, m.tool_accuracy_ci),
        _rate(m.outcome_accuracy, m.outcome_accuracy_ci),
        _rate(m.valid_plan_rate, m.valid_plan_rate_ci),
        f"{m.model_call_rate:.2f}\n{m.fallback_rate:.2f}",
        f"{m.latency_ms.p50:.1f}\n{m.latency_ms.p95:.1f}",
        f"{m.tokens_per_plan:.0f}",
        f"{m.cost_per_plan_usd:.2g}",
    ]


COLUMNS = ("planner", "plan", "tool", "e2e", "valid", "asked/fb", "p50/p95", "tokens", "$/plan")


def summary_table(summary: EvalSummary) -> Table:
    """Planner x key metrics; rates over their Wilson 95% intervals, latency in ms."""
    table = Table(
        title=f"crane-bench eval {summary.run_id}",
        title_justify="left",
        caption="rates over their Wilson 95% CI; e2e: plan right and outcome as expected; "
        "asked/fb: model asked, and asked but its answer not used (fallback)",
        caption_justify="left",
        box=None,  # no rules: the table fits 80 columns, the width of a pipe or CI log
        padding=(0, 0, 0, 1),
        header_style="bold underline",
    )
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "planner" else "right")
    for name, metrics in summary.planners.items():
        table.add_row(*_row(name, metrics))
    return table


def print_summary(console: Console, summary: EvalSummary) -> None:
    """The table, the paired comparisons, and the gates (each failing check on its line)."""
    console.print(summary_table(summary))
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
                f"({c.a_only} vs {c.b_only} discordant of {c.n_pairs}, p={c.p_value:.4f})"
            ),
            highlight=False,
        )
    for planner, metrics in summary.planners.items():
        ood = metrics.by_category.get("out_of_domain")
        if ood is not None and ood.false_action_rate is not None:
            console.print(
                f"{planner} out_of_domain: false-action rate {ood.false_action_rate:.3f} "
                f"on {ood.cases} cases",
                highlight=False,
            )
        for name, figures in metrics.robustness.items():
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
    for check in gates.improvements:
        console.print(escape(check.message), highlight=False)
    for check in failed:
        console.print(escape(check.message), highlight=False, soft_wrap=True)
