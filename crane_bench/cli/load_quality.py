"""The terminal view of accuracy under load: one table per planner, by load step."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crane_bench.load.quality_models import Interval, PlannerQuality, QualityReport, QualityStats


def _rate(value: float | None, ci: Interval | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" + (f" ({ci[0]:.2f}-{ci[1]:.2f})" if ci else "")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _row(head: str, stats: QualityStats) -> list[str]:
    timeouts = stats.fallback_reasons.get("timeout", 0)
    return [
        head,
        f"{stats.n:,}",
        f"{stats.cases:,}",
        _rate(stats.plan_accuracy, stats.plan_accuracy_ci),
        _rate(stats.end_to_end_accuracy, stats.end_to_end_accuracy_ci),
        _rate(stats.model_call_rate, None),
        f"{_rate(stats.fallback_rate, None)} ({timeouts:,})",
        _ms(stats.run_p50_ms),
        _ms(stats.run_p95_ms),
    ]


def planner_table(label: str, planner: PlannerQuality) -> Table:
    """Unloaded, each load step, and the whole load, for one planner."""
    # Labels hold brackets (`hybrid[strategy=llm-first]`): escaped, not read as markup.
    table = Table(title=f"accuracy under load: {escape(label)}", title_justify="left")
    columns = ("", "runs", "cases", "plan acc. (95% CI)", "end-to-end (95% CI)", "model")
    for column in (*columns, "fallback (timeout)", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if not column else "right")
    if planner.unloaded is not None:
        table.add_row(*_row("unloaded", planner.unloaded))
    for step in planner.by_step:
        table.add_row(*_row(f"step {step.step + 1} ({step.users} u.)", step))
    table.add_row(*_row("under load", planner), style="bold")
    return table


def print_quality(console: Console, report: QualityReport) -> None:
    """Each planner's table, then its comparisons with the unloaded accuracy in words."""
    for label, planner in report.planners.items():
        console.print(planner_table(label, planner))
        for comparison in planner.comparisons:
            console.print(
                f"{label}: {comparison.verdict}", highlight=False, markup=False, soft_wrap=True
            )
        if not planner.comparisons:
            console.print(
                f"{label}: no unloaded accuracy to compare with ({report.unloaded_source})"
            )
    console.print(
        "Intervals are Wilson 95%, runs clustered by case; p50/p95: RUN (submit to done); "
        f"model: share of runs that asked the model; unloaded reference: {report.unloaded_source}.",
        highlight=False,
        markup=False,
    )
