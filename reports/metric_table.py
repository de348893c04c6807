"""The planners table of a report, its columns taken from the metric registry.

Each metric the registry shows becomes a column (a latency two: p50 and p95), formatted
by its `format`; a metric the summary does not hold (a run from before it was
registered) is an en dash, never zero. Among rates with a direction, the best value in
a column is marked when the planners differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final, Literal

from crane_bench.evals.figures import LatencyFigure
from crane_bench.evals.metric_registry import Format, Metric, MetricRegistry
from crane_bench.evals.metrics import CategoryMetrics
from crane_bench.reports.formatting import Cell, count, rate_cell, sig, usd
from crane_bench.reports.meta import Column, Row

LATENCY_PARTS: Final = ("p50", "p95")
"""The parts of a latency shown as columns."""
CellOf = Callable[[CategoryMetrics], Cell]


@dataclass(frozen=True)
class MetricColumn:
    """One column: its header, how a planner's figures give its cell, which is best."""

    column: Column
    cell: CellOf
    best: Callable[[CategoryMetrics], float | None] | None = None
    """The value compared to mark the best planner (None: never marked)."""
    better: Literal["higher", "lower"] = "higher"


def _number(value: float | None, fmt: Format) -> Cell:
    return Cell(usd(value) if fmt == "usd" else sig(value))


def _rate_column(metric: Metric) -> MetricColumn:
    def cell(m: CategoryMetrics) -> Cell:
        figure = m.rate(metric.name)
        return rate_cell(figure.value, figure.ci)

    return MetricColumn(
        Column(metric.label, metric.description),
        cell,
        best=(lambda m: m.rate(metric.name).value) if metric.better else None,
        better=metric.better or "higher",
    )


def _latency_column(metric: Metric, part: str) -> MetricColumn:
    def cell(m: CategoryMetrics) -> Cell:
        figure = m.figure(metric.name)
        value = getattr(figure, part) if isinstance(figure, LatencyFigure) else None
        return _number(value, metric.fmt)

    return MetricColumn(Column(f"{part} {metric.label}", metric.description), cell)


def _scalar_column(metric: Metric) -> MetricColumn:
    def cell(m: CategoryMetrics) -> Cell:
        return _number(m.value(metric.name), metric.fmt)

    return MetricColumn(Column(metric.label, metric.description), cell)


def metric_columns(
    metrics: MetricRegistry, where: Literal["brief", "report"]
) -> list[MetricColumn]:
    """The trials column, then a column per shown metric (two per latency), in order."""
    columns = [
        MetricColumn(Column("Trials"), lambda m: Cell(count(m.n), sub=f"{count(m.cases)} cases"))
    ]
    for metric in metrics.shown(where):
        if metric.kind == "rate":
            columns.append(_rate_column(metric))
        elif metric.kind == "latency":
            columns += [_latency_column(metric, part) for part in LATENCY_PARTS]
        else:
            columns.append(_scalar_column(metric))
    return columns


def metric_rows(planners: Mapping[str, CategoryMetrics], columns: list[MetricColumn]) -> list[Row]:
    """A row per planner; the best value of each directional rate marked when they differ."""
    rows = [Row(name, [c.cell(m) for c in columns]) for name, m in planners.items()]
    if len(rows) < 2:
        return rows
    for index, column in enumerate(columns):
        if column.best is None:
            continue
        values = {p: column.best(m) for p, m in planners.items()}
        known = [v for v in values.values() if v is not None]
        if len(set(known)) < 2:
            continue
        best = max(known) if column.better == "higher" else min(known)
        for row in rows:
            if values[row.head] == best:
                row.cells[index] = replace(row.cells[index], tone="best")
    return rows
