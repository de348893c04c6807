"""A tiny shared shape for benchmark output: named figures with units and goals."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured number, its unit, and the goal it is compared with (if any)."""

    name: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


def print_figures(console: Console, title: str, figures: list[Figure]) -> None:
    """Print a table of figures; a goal is shown beside the number, never enforced."""
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("goal")
    table.add_column("note")
    for f in figures:
        value = f"{f.value:,.0f}" if abs(f.value) >= 100 else f"{f.value:,.3g}"
        table.add_row(f.name, value, f.unit, f.goal, f.note)
    console.print(table)


def median_us(fn: Callable[[], object], *, repeats: int = 7, number: int = 1000) -> float:
    """Median over `repeats` batches of the mean microseconds per call of `fn`."""
    batches = []
    for _ in range(repeats):
        began = time.perf_counter()
        for _ in range(number):
            fn()
        batches.append((time.perf_counter() - began) / number * 1e6)
    return statistics.median(batches)
