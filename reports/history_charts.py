"""The trend charts of the history page: regressions drawn as crosses, improvements as triangles."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crane_bench.reports.charts import OKABE_ITO, Chart, make_chart, plot_text, series_colors

REGRESSION: Final[dict[str, Any]] = {"symbol": "x-thin-open", "size": 18, "line": {"width": 3}}
IMPROVEMENT: Final[dict[str, Any]] = {
    "symbol": "triangle-up-open",
    "size": 16,
    "line": {"width": 2},
}


def _markers(fig: go.Figure, points: pd.DataFrame, column: str, y: str, name: str) -> None:
    """Add a trace of the rows where `column` is true, at their `y` values."""
    marked = points[points[column].astype(bool)]
    if marked.empty:
        return
    style = REGRESSION if column == "regression" else IMPROVEMENT
    color = OKABE_ITO["vermillion"] if column == "regression" else OKABE_ITO["blue"]
    fig.add_scatter(
        name=name,
        x=marked["run_id"].map(plot_text),
        y=marked[y],
        mode="markers",
        marker={**style, "color": color, "line": {**style["line"], "color": color}},
        customdata=marked[["run_id", "note"]].map(plot_text).to_numpy(),
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra>" + name + "</extra>",
    )


def _run_axis(fig: go.Figure, points: pd.DataFrame) -> None:
    """One evenly spaced category per run, oldest left: runs are events, not a clock."""
    order = points.sort_values("started_at", kind="stable")["run_id"].drop_duplicates()
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=[plot_text(run) for run in order],
        tickangle=-30,
    )


def _log_range(values: pd.Series) -> list[float] | None:
    """A log axis at least a decade tall, so run-to-run noise does not look like a cliff."""
    positive = values[values > 0].dropna()
    if positive.empty:
        return None
    low, high = np.log10(positive.min()), np.log10(positive.max())
    middle, half = (low + high) / 2, max((high - low) / 2 + 0.15, 0.5)
    return [float(middle - half), float(middle + half)]


def accuracy_trend(points: pd.DataFrame) -> Chart:
    """Plan accuracy per planner over runs, with Wilson 95% intervals."""
    fig = go.Figure()
    colors = series_colors(sorted(points["planner"].unique()))
    for planner, mine in points.groupby("planner", sort=True):
        fig.add_scatter(
            name=str(planner),
            x=mine["run_id"].map(plot_text),
            y=mine["plan_accuracy"],
            mode="lines+markers",
            line={"color": colors[str(planner)], "width": 2},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": mine["ci_high"] - mine["plan_accuracy"],
                "arrayminus": mine["plan_accuracy"] - mine["ci_low"],
                "thickness": 1.2,
            },
            customdata=mine[["run_id"]].map(plot_text).to_numpy(),
            hovertemplate="%{customdata[0]}: %{y:.1%}<extra>" + str(planner) + "</extra>",
        )
    _markers(fig, points, "regression", "plan_accuracy", "regression")
    _markers(fig, points, "improved", "plan_accuracy", "improvement")
    fig.update_yaxes(title_text="plan accuracy", tickformat=".0%", range=[0, 1.05])
    _run_axis(fig, points)
    return make_chart(
        "chart-history-accuracy",
        "Plan accuracy per planner",
        fig,
        caption="Whiskers: Wilson 95% intervals. ✕ regression, △ improvement: paired test "
        "against the planner's previous run on the same case files.",
        wide=True,
    )


def eval_latency_trend(points: pd.DataFrame) -> Chart:
    """p95 planning latency per planner over runs (log scale)."""
    fig = go.Figure()
    colors = series_colors(sorted(points["planner"].unique()))
    for planner, mine in points.groupby("planner", sort=True):
        fig.add_scatter(
            name=str(planner),
            x=mine["run_id"].map(plot_text),
            y=mine["p95_ms"],
            mode="lines+markers",
            line={"color": colors[str(planner)], "width": 2},
            customdata=mine[["run_id"]].map(plot_text).to_numpy(),
            hovertemplate="%{customdata[0]}: %{y:.3g} ms<extra>" + str(planner) + "</extra>",
        )
    fig.update_yaxes(
        title_text="p95 planning latency (ms, log)", type="log", range=_log_range(points["p95_ms"])
    )
    _run_axis(fig, points)
    return make_chart("chart-history-eval-latency", "Eval: p95 planning latency", fig)


def load_latency_trend(points: pd.DataFrame) -> Chart:
    """p95 of RUN and HTTP per load profile over runs."""
    fig = go.Figure()
    keys = sorted(
        {(str(p), str(t)) for p, t in zip(points["profile"], points["request_type"], strict=True)}
    )
    colors = series_colors(sorted({p for p, _ in keys}))
    for profile, kind in keys:
        mine = points[(points["profile"] == profile) & (points["request_type"] == kind)]
        fig.add_scatter(
            name=plot_text(f"{kind} · {profile}"),
            x=mine["run_id"].map(plot_text),
            y=mine["p95_ms"],
            mode="lines+markers",
            line={"color": colors[profile], "dash": "solid" if kind == "RUN" else "dot"},
            customdata=mine[["run_id"]].map(plot_text).to_numpy(),
            hovertemplate="%{customdata[0]}: %{y:.3g} ms<extra>" + kind + "</extra>",
        )
    _markers(fig, points, "regression", "p95_ms", "regression")
    fig.update_yaxes(title_text="p95 (ms, log)", type="log", range=_log_range(points["p95_ms"]))
    _run_axis(fig, points)
    return make_chart(
        "chart-history-load-latency",
        "Load: p95 latency (RUN solid, HTTP dotted)",
        fig,
        caption="✕ beyond the baseline tolerance of load/slo.py against the previous run "
        "of the same profile.",
    )


def load_throughput_trend(points: pd.DataFrame) -> Chart:
    """HTTP requests per second per load profile over runs."""
    http = points[points["request_type"] == "HTTP"]
    fig = go.Figure()
    colors = series_colors(sorted(http["profile"].unique()))
    for profile, mine in http.groupby("profile", sort=True):
        fig.add_scatter(
            name=plot_text(profile),
            x=mine["run_id"].map(plot_text),
            y=mine["requests_per_s"],
            mode="lines+markers",
            line={"color": colors[str(profile)], "width": 2},
            customdata=mine[["run_id"]].map(plot_text).to_numpy(),
            hovertemplate="%{customdata[0]}: %{y:,.0f} req/s<extra></extra>",
        )
    fig.update_yaxes(title_text="HTTP requests/s", rangemode="tozero")
    _run_axis(fig, http)
    return make_chart("chart-history-throughput", "Load: throughput", fig)


def history_charts(eval_points: pd.DataFrame, load_points: pd.DataFrame) -> list[Chart]:
    """The trend charts for which there are runs."""
    charts: list[Chart] = []
    if not eval_points.empty:
        charts += [accuracy_trend(eval_points), eval_latency_trend(eval_points)]
    if not load_points.empty:
        charts += [load_latency_trend(load_points), load_throughput_trend(load_points)]
    return charts
