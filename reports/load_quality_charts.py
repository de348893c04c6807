"""The charts of accuracy under load: accuracy and latency by load step, fallbacks over time.

Accuracy by step carries its 95% intervals (runs clustered by case) and, dashed, each
planner's unloaded accuracy; latency by step is RUN p50 and p95 of the same runs, beside
it, so one look says whether answers got worse where latency rose.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crane_bench.load.quality_models import QualityReport
from crane_bench.reports.charts import Chart, error_bars, make_chart, plot_text, series_colors

TIME_BINS: Final = 40
"""Fallbacks over time are counted in about this many bins across the run."""


def _step_label(step: int, users: int) -> str:
    return f"{step + 1}: {users} u"


def accuracy_by_step_chart(report: QualityReport) -> Chart:
    """Plan accuracy by step (intervals, unloaded dashed) beside RUN p50/p95 by step."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    colors = series_colors(report.planners)
    for label, planner in report.planners.items():
        color = colors[label]
        x = [_step_label(s.step, s.users) for s in planner.by_step]
        values = [s.plan_accuracy for s in planner.by_step]
        fig.add_scatter(
            name=plot_text(label),
            legendgroup=label,
            x=x,
            y=values,
            mode="lines+markers",
            line={"color": color, "width": 2},
            error_y=error_bars(values, [s.plan_accuracy_ci for s in planner.by_step]),
            hovertemplate=f"{plot_text(label)} step %{{x}}: %{{y:.3f}}<extra></extra>",
            row=1,
            col=1,
        )
        if planner.unloaded is not None and planner.unloaded.plan_accuracy is not None:
            fig.add_scatter(
                name=f"{plot_text(label)} unloaded",
                legendgroup=label,
                x=x,
                y=[planner.unloaded.plan_accuracy] * len(x),
                mode="lines",
                line={"color": color, "dash": "dash", "width": 1.5},
                hovertemplate=f"{plot_text(label)} unloaded: %{{y:.3f}}<extra></extra>",
                row=1,
                col=1,
            )
        for column, dash in (("run_p50_ms", "dot"), ("run_p95_ms", "solid")):
            name = column.removeprefix("run_").removesuffix("_ms")
            fig.add_scatter(
                name=f"{plot_text(label)} {name}",
                legendgroup=label,
                x=x,
                y=[getattr(s, column) for s in planner.by_step],
                mode="lines+markers",
                line={"color": color, "dash": dash, "width": 1.8},
                hovertemplate=f"{plot_text(label)} {name}, step %{{x}}: %{{y:.3g}} ms"
                "<extra></extra>",
                row=1,
                col=2,
            )
    fig.update_yaxes(title_text="plan accuracy", range=[0, 1.05], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="RUN latency, ms", rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text="step: users", type="category")
    return make_chart(
        "chart-quality-steps",
        "Accuracy and latency against offered load",
        fig,
        caption="Left: plan accuracy of the runs submitted in each step, Wilson 95% intervals "
        "(clustered by case); dashed: the same planner unloaded. Right: RUN p50 (dotted) and "
        "p95 (solid) of the same runs.",
        height=420,
        wide=True,
    )


def fallbacks_over_time_chart(runs: pd.DataFrame) -> Chart | None:
    """Fallbacks by reason over the run, stacked per time bin; None when none happened."""
    fell = runs[runs["fallback_reason"] != ""] if not runs.empty else runs
    if fell.empty:
        return None
    end = float(runs["t"].max())
    width = max(1, math.ceil(end / TIME_BINS))
    reasons = sorted(fell["fallback_reason"].unique())
    colors = series_colors(reasons)
    fig = go.Figure()
    bins = (fell["t"] // width * width).astype(int)
    for reason in reasons:
        counts = bins[fell["fallback_reason"] == reason].value_counts().sort_index()
        fig.add_bar(
            name=plot_text(reason),
            x=counts.index,
            y=counts.to_numpy(),
            marker_color=colors[reason],
            hovertemplate=f"{plot_text(reason)} at %{{x}} s: %{{y}}<extra></extra>",
        )
    scored = (runs["t"] // width * width).astype(int).value_counts().sort_index()
    fig.add_scatter(
        name="runs scored",
        x=scored.index,
        y=scored.to_numpy(),
        mode="lines",
        line={"color": "#8C8C8C", "dash": "dot"},
        hovertemplate="%{y} runs at %{x} s<extra></extra>",
    )
    fig.update_layout(barmode="stack", bargap=0.1)
    fig.update_xaxes(title_text=f"seconds since start (bins of {width} s, by submission)")
    fig.update_yaxes(title_text="runs", rangemode="tozero")
    return make_chart(
        "chart-fallbacks-time",
        "Fallbacks over time by reason",
        fig,
        caption="Runs whose planner asked the model and did not use its answer, by why; "
        "dotted: every scored run.",
    )


def quality_charts(report: QualityReport, runs: pd.DataFrame) -> tuple[list[Chart], list[str]]:
    """The quality charts, and a note for each one left out."""
    charts = [accuracy_by_step_chart(report)]
    notes = []
    over_time = fallbacks_over_time_chart(runs)
    if over_time is None:
        notes.append("No run fell back: no fallback chart.")
    else:
        charts.append(over_time)
    return charts, notes
