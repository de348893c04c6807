"""The trend page over every run in a directory: `crane-bench report --history runs/`.

Accuracy per planner with intervals, p95 latencies, throughput, and each run's gate
results, with regressions marked (how they are found: `reports.history_data`). The page
is written as `history.html` in the runs directory, beside the runs it links to.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from crane_bench.reports.charts import Chart
from crane_bench.reports.formatting import count, plural, timestamp
from crane_bench.reports.history_charts import history_charts
from crane_bench.reports.history_data import History, read_history
from crane_bench.reports.meta import Fact, Verdict
from crane_bench.reports.render import crane_version, render, write_text

HTML_FILE: Final = "history.html"
SECTIONS: Final = (("charts", "Trends"), ("runs", "Runs"))


@dataclass(frozen=True)
class RunLine:
    """One run in the history table."""

    started: str
    kind: str
    run_id: str
    report: str | None
    """Link to the run's report, relative to the history page; None if not built."""
    git: str
    what: str
    size: str
    gates: str
    gates_tone: str
    regressions: list[str]


@dataclass(frozen=True)
class HistoryPage:
    """Everything the history template shows."""

    title: str
    verdict: Verdict | None
    facts: list[Fact]
    notes: list[str]
    charts: list[Chart]
    chart_notes: list[str]
    runs: list[RunLine]


def _gates(row: Mapping[Hashable, Any]) -> tuple[str, str]:
    ran = row["passed"] + row["failed"]
    if row["failed"]:
        return f"{row['failed']} of {ran} failed", "bad"
    if not ran:
        return "none ran", "muted"
    return f"{ran} passed", "good"


def _text(value: object) -> str | None:
    # pandas stores a missing string as NaN (its `str` dtype), not None.
    return value if isinstance(value, str) else None


def _run_line(row: Mapping[Hashable, Any]) -> RunLine:
    gates, tone = _gates(row)
    return RunLine(
        started=timestamp(row["started_at"], seconds=False),
        kind=str(row["kind"]),
        run_id=str(row["run_id"]),
        report=_text(row["report"]),
        git=(_text(row["git_sha"]) or "")[:10],
        what=str(row["what"]),
        size=str(row["size"]),
        gates=gates,
        gates_tone=tone,
        regressions=list(row["regressions"]),
    )


def _verdict(runs: pd.DataFrame) -> Verdict | None:
    """Judge the newest run of each kind: its gates and any regression it shows."""
    if runs.empty:
        return None
    problems: list[str] = []
    for kind, mine in runs.groupby("kind", sort=True):
        latest = mine.iloc[0]  # the frame is newest first
        if latest["failed"]:
            problems.append(f"latest {kind} run failed {plural(latest['failed'], 'gate')}")
        if latest["regressions"]:
            problems.append(
                f"latest {kind} run regressed ({plural(len(latest['regressions']), 'check')})"
            )
    if problems:
        return Verdict(False, "; ".join(problems))
    return Verdict(True, "latest runs pass their gates, no regression")


def history_page(history: History, root: Path) -> HistoryPage:
    """Prepare everything the history page shows."""
    runs = history.runs
    kinds = runs["kind"].value_counts() if not runs.empty else pd.Series(dtype="int64")
    facts = [
        Fact("Directory", str(root)),
        Fact("Eval runs", count(int(kinds.get("eval", 0)))),
        Fact("Load runs", count(int(kinds.get("load", 0)))),
    ]
    if not runs.empty:
        first, last = runs["started_at"].min(), runs["started_at"].max()
        facts.append(
            Fact("From", f"{timestamp(first, seconds=False)} to {timestamp(last, seconds=False)}")
        )
    notes = list(history.notes)
    charts = history_charts(history.eval_points, history.load_points)
    chart_notes = [] if charts else ["No finished runs: nothing to chart yet."]
    return HistoryPage(
        title=f"Run history of {root.name or root}",
        verdict=_verdict(runs),
        facts=facts,
        notes=notes,
        charts=charts,
        chart_notes=chart_notes,
        runs=[_run_line(row) for row in runs.to_dict("records")],
    )


def build_history(root: Path) -> Path:
    """Read every run under `root` and write `root/history.html`; returns its path.

    Raises:
        NotARunDirError: `root` is not a directory.
    """
    page = history_page(read_history(root), root)
    html = render(
        "history.html.j2",
        charts=bool(page.charts),
        page=page,
        kind="history",
        sections=SECTIONS,
        version=crane_version(),
    )
    return write_text(root / HTML_FILE, html)
