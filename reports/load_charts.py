"""The charts of the load report: over time from the history, totals from the summary.

`RUN` is a run's end-to-end latency (submit, then poll until done); `HTTP` is every HTTP
request together. The history has both, plus one row per HTTP method.
"""

from __future__ import annotations

import textwrap
from typing import Final

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crane_bench.load.server_metrics import ServerCounts
from crane_bench.load.stats import HTTP, RUN, FailureCount
from crane_bench.load.summary import LoadSummary
from crane_bench.reports.charts import OKABE_ITO, Chart, make_chart, plot_text, series_colors

PERCENTILE_DASH: Final = {"p50_ms": "dot", "p95_ms": "solid", "p99_ms": "dash"}
MAX_ERRORS: Final = 12
LABEL_CHARS: Final = 50


def type_colors(types: list[str]) -> dict[str, str]:
    """`HTTP` and `RUN` keep their colours whatever other types the run had."""
    ordered = [HTTP, RUN, *sorted(t for t in types if t not in (HTTP, RUN))]
    return series_colors(ordered)


def _types(history: pd.DataFrame) -> list[str]:
    found = set(history["request_type"].unique())
    return [t for t in (HTTP, RUN) if t in found] + sorted(found - {HTTP, RUN})


def throughput_chart(history: pd.DataFrame) -> Chart:
    """Requests per second (HTTP, RUN) and users, second by second."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colors = type_colors(_types(history))
    for kind in (HTTP, RUN):
        rows = history[history["request_type"] == kind]
        if rows.empty:
            continue
        fig.add_scatter(
            name=f"{kind} requests/s" if kind == HTTP else "runs/s",
            x=rows["t"],
            y=rows["requests"],
            mode="lines",
            line={"color": colors[kind], "width": 2},
            hovertemplate="%{x} s: %{y:,} /s<extra></extra>",
        )
    users = history.drop_duplicates("t")
    fig.add_scatter(
        name="users",
        x=users["t"],
        y=users["users"],
        mode="lines",
        line={"color": OKABE_ITO["purple"], "width": 2, "dash": "dot", "shape": "hv"},
        hovertemplate="%{x} s: %{y} users<extra></extra>",
        secondary_y=True,
    )
    fig.update_xaxes(title_text="seconds since start")
    fig.update_yaxes(title_text="per second", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text="users", rangemode="tozero", showgrid=False, tickformat=",d", secondary_y=True
    )
    return make_chart(
        "chart-throughput",
        "Throughput and users over time",
        fig,
        caption="Requests completed each second; users on the right axis.",
    )


def latency_chart(history: pd.DataFrame) -> Chart:
    """p50, p95 and p99 of each request type, second by second, one panel per type."""
    types = _types(history)
    colors = type_colors(types)
    fig = make_subplots(
        rows=len(types),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[plot_text(t) for t in types],
        vertical_spacing=0.06,
    )
    for row, kind in enumerate(types, start=1):
        rows = history[history["request_type"] == kind]
        for column, dash in PERCENTILE_DASH.items():
            label = column.removesuffix("_ms")
            fig.add_scatter(
                name=label,
                legendgroup=label,
                showlegend=row == 1,
                x=rows["t"],
                y=rows[column],
                mode="lines",
                connectgaps=False,
                line={"color": colors[kind], "dash": dash, "width": 1.8},
                hovertemplate=f"{kind} {label} at %{{x}} s: %{{y:.3g}} ms<extra></extra>",
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="ms (log)", type="log", dtick="D2", row=row, col=1)
    fig.update_xaxes(title_text="seconds since start", row=len(types), col=1)
    return make_chart(
        "chart-latency-time",
        "Latency over time by request type",
        fig,
        caption="Each second's own percentiles: dotted p50, solid p95, dashed p99. "
        "RUN is submit-to-done.",
        height=140 + 170 * len(types),
        wide=True,
    )


def failures_time_chart(history: pd.DataFrame) -> Chart | None:
    """Failed requests per second by request type; None when nothing failed."""
    rows = history[(history["request_type"] != HTTP) & (history["failures"] > 0)]
    if rows.empty:
        return None
    types = sorted(rows["request_type"].unique())
    colors = type_colors(types)
    fig = go.Figure()
    for kind in types:
        mine = rows[rows["request_type"] == kind]
        fig.add_bar(
            name=plot_text(kind),
            x=mine["t"],
            y=mine["failures"],
            marker_color=colors[kind],
            hovertemplate=f"{kind} at %{{x}} s: %{{y}} failed<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.1)
    fig.update_xaxes(title_text="seconds since start", range=[-0.5, history["t"].max() + 0.5])
    fig.update_yaxes(title_text="failures per second", rangemode="tozero")
    return make_chart("chart-failures-time", "Failures over time", fig)


def failure_label(failure: FailureCount) -> str:
    """`POST /api/v1/runs` over the start of the message, as text (never plotly's HTML)."""
    error = textwrap.shorten(failure.error, LABEL_CHARS, placeholder="…")
    return f"{plot_text(failure.request_type)} {plot_text(failure.name)}<br>{plot_text(error)}"


def failures_by_type_chart(summary: LoadSummary) -> Chart | None:
    """The most frequent failures by request type, name and message; None without any."""
    failures = summary.requests.failures[:MAX_ERRORS]
    if not failures:
        return None
    colors = type_colors(sorted({f.request_type for f in failures}))
    fig = go.Figure()
    for kind in sorted({f.request_type for f in failures}):
        mine = [f for f in failures if f.request_type == kind]
        fig.add_bar(
            name=plot_text(kind or "(none)"),
            y=[failure_label(f) for f in mine],
            x=[f.occurrences for f in mine],
            orientation="h",
            marker_color=colors.get(kind, OKABE_ITO["black"]),
            hovertemplate="%{y}<br>%{x:,} times<extra></extra>",
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="occurrences")
    return make_chart(
        "chart-failures-type",
        "Failures by type",
        fig,
        caption=f"The {MAX_ERRORS} most frequent; the table below lists every one.",
        height=max(220, 110 + 40 * len(failures)),
    )


def server_chart(server: ServerCounts) -> Chart:
    """What the service counted: runs by status, retries, fallbacks, rejections, timeouts."""
    groups = {
        "runs": server.runs_by_status,
        "fallbacks": server.fallbacks,
        "rejected": server.rejected,
        "timeouts": server.timeouts,
        "step": {"retries": server.step_retries},
    }
    colors = series_colors(groups)
    fig = go.Figure()
    for group, counts in groups.items():
        if not counts:
            continue
        fig.add_bar(
            name=group,
            y=[f"{group}: {plot_text(key)}" for key in counts],
            x=list(counts.values()),
            orientation="h",
            marker_color=colors[group],
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="count during the load")
    bars = sum(len(c) for c in groups.values() if c)
    return make_chart(
        "chart-server",
        "Server-side counts",
        fig,
        caption="From the service's /metrics, scraped before and after the load.",
        height=max(220, 100 + 30 * bars),
    )


def cpu_chart(summary: LoadSummary) -> Chart:
    """Cores used by the load generator (and the service it started) against the machine."""
    reports = {"load generator": summary.generator_cpu, "service": summary.service_cpu}
    names = [name for name, report in reports.items() if report is not None]
    used = [r.cores_used for r in reports.values() if r is not None]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=used,
        orientation="h",
        marker_color=[OKABE_ITO["orange"], OKABE_ITO["blue"]][: len(names)],
        text=[f"{u:.2f} cores" for u in used],
        textposition="auto",
        hovertemplate="%{y}: %{x:.2f} cores<extra></extra>",
    )
    cores = summary.generator_cpu.cores
    fig.add_vline(x=cores, line={"color": OKABE_ITO["vermillion"], "dash": "dash"})
    fig.update_xaxes(title_text=f"cores used (machine: {cores})", range=[0, cores * 1.05])
    fig.update_yaxes(autorange="reversed")
    return make_chart(
        "chart-cpu",
        "CPU during the load",
        fig,
        caption="A generator near one core per process limits throughput itself.",
        height=220,
        legend=False,
    )


def load_charts(summary: LoadSummary, history: pd.DataFrame) -> tuple[list[Chart], list[str]]:
    """Every chart of the load report, and a note for each one left out."""
    charts: list[Chart] = []
    notes: list[str] = []
    if history.empty:
        notes.append("No per-second history: no charts over time.")
        charts.append(cpu_chart(summary))
    else:
        # Half-width charts in pairs around the wide one, so the grid has no holes.
        charts += [throughput_chart(history), cpu_chart(summary), latency_chart(history)]
        over_time = failures_time_chart(history)
        if over_time is not None:
            charts.append(over_time)
    by_type = failures_by_type_chart(summary)
    if by_type is not None:
        charts.append(by_type)
    if not any(group.failures for group in summary.requests.by_type.values()):
        notes.append("No request failed: no failure charts.")
    if summary.server is not None:
        charts.append(server_chart(summary.server))
    return charts, notes
