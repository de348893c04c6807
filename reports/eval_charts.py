"""The charts of the eval report, each a pure function of the run's summary or trials frame.

Accuracy and interval numbers come from `summary.json` (what the gates were decided on);
the distributions (latency, tool confusion) come from the trials frame.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crane_bench.evals.metrics import CategoryMetrics, PlannerMetrics
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.reports.charts import (
    OUTCOME_STYLE,
    Chart,
    error_bars,
    make_chart,
    plot_text,
    series_colors,
)
from crane_bench.reports.formatting import pct
from crane_bench.reports.sequential_view import power_chart

ALL: Final = "all"
MAX_TOOL_LABELS: Final = 8
OTHER: Final = "(other)"
ECDF_POINTS: Final = 201
MIN_LOG_MS: Final = 1e-3
PCT_AXIS: Final = {"tickformat": ".0%", "range": [0, 1.05]}


def accuracy_chart(summary: EvalSummary) -> Chart:
    """Plan accuracy by planner and category, with Wilson 95% intervals."""
    planners = summary.planners
    colors = series_colors(planners)
    categories = sorted({c for m in planners.values() for c in m.by_category})
    fig = go.Figure()
    for name, metrics in planners.items():
        scopes: list[CategoryMetrics | None] = [metrics, *map(metrics.by_category.get, categories)]
        values = [s.rate("plan_accuracy").value if s else None for s in scopes]
        bounds = [s.rate("plan_accuracy").ci if s else None for s in scopes]
        counts = [s.n if s else 0 for s in scopes]
        fig.add_bar(
            name=name,
            x=[ALL, *(plot_text(c) for c in categories)],
            y=values,
            marker_color=colors[name],
            error_y={**error_bars(values, bounds), "color": "#444", "thickness": 1.2},
            customdata=[
                [f"{b[0]:.1%}–{b[1]:.1%}" if b else "", n]
                for b, n in zip(bounds, counts, strict=True)
            ],
            hovertemplate="%{x}: %{y:.1%} (95% CI %{customdata[0]}, n=%{customdata[1]})"
            f"<extra>{name}</extra>",
        )
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(title_text="plan accuracy", **PCT_AXIS)
    return make_chart(
        "chart-accuracy",
        "Plan accuracy by category",
        fig,
        caption="Share of trials whose plan matched; whiskers are Wilson 95% intervals.",
    )


def outcome_chart(summary: EvalSummary) -> Chart:
    """Outcome classes per planner, stacked to 100%."""
    planners = list(summary.planners)
    present = [
        cls
        for cls in OUTCOME_STYLE
        if any(m.outcomes.get(cls, 0) for m in summary.planners.values())
    ]
    fig = go.Figure()
    for cls in present:
        color, hatch = OUTCOME_STYLE[cls]
        counts = [summary.planners[p].outcomes.get(cls, 0) for p in planners]
        shares = [c / summary.planners[p].n for c, p in zip(counts, planners, strict=True)]
        fig.add_bar(
            name=cls,
            y=planners,
            x=shares,
            orientation="h",
            marker={"color": color, "pattern": {"shape": hatch, "fgcolor": "#ffffff"}},
            customdata=counts,
            hovertemplate=f"{cls}: %{{x:.1%}} (%{{customdata}} trials)<extra>%{{y}}</extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    return make_chart(
        "chart-outcomes",
        "Outcome classes",
        fig,
        caption="Every trial falls in exactly one class; the first rule that matches wins.",
        height=max(220, 90 + 48 * len(planners)),
    )


def _tool_labels(trials: pd.DataFrame) -> list[str]:
    counts = pd.concat([trials["expected_tools"], trials["chosen_tools"]]).value_counts()
    return [str(label) for label in counts.index[:MAX_TOOL_LABELS]]


def _shown(labels: list[str]) -> list[str]:
    # Tool names come from model output: shown as text, never as plotly's HTML.
    return [plot_text(label) for label in labels]


def confusion_chart(trials: pd.DataFrame) -> Chart:
    """Expected tool sequence against the chosen one, one heatmap per planner."""
    labels = _tool_labels(trials)
    kept = set(labels)
    expected = trials["expected_tools"].where(trials["expected_tools"].isin(kept), OTHER)
    chosen = trials["chosen_tools"].where(trials["chosen_tools"].isin(kept), OTHER)
    if (expected == OTHER).any() or (chosen == OTHER).any():
        labels = [*labels, OTHER]
    planners = sorted(str(p) for p in trials["planner"].unique())
    fig = make_subplots(rows=1, cols=len(planners), subplot_titles=planners, shared_yaxes=True)
    for col, planner in enumerate(planners, start=1):
        mine = trials["planner"] == planner
        table = pd.crosstab(expected[mine], chosen[mine]).reindex(
            index=labels, columns=labels, fill_value=0
        )
        z = table.to_numpy()
        fig.add_heatmap(
            z=np.where(z > 0, z, np.nan),
            x=_shown(labels),
            y=_shown(labels),
            row=1,
            col=col,
            coloraxis="coloraxis",
            texttemplate="%{z}",
            hovertemplate="expected %{y}<br>chosen %{x}<br>%{z} trials"
            f"<extra>{planner}</extra>",
        )
        fig.update_xaxes(title_text="chosen", tickangle=-30, row=1, col=col)
    fig.update_yaxes(title_text="expected", autorange="reversed", row=1, col=1)
    fig.update_layout(coloraxis={"colorscale": "Cividis", "reversescale": True, "showscale": False})
    return make_chart(
        "chart-confusion",
        "Tool confusion: expected against chosen",
        fig,
        caption="Tool sequences; the diagonal is right. (none) is an abstain, "
        "(no plan) an error or invalid plan.",
        height=160 + 34 * len(labels),
        legend=False,
        wide=True,
    )


def latency_chart(trials: pd.DataFrame) -> Chart:
    """Planning latency per planner as an ECDF on a log axis."""
    fig = go.Figure()
    planners = sorted(str(p) for p in trials["planner"].unique())
    colors = series_colors(planners)
    shares = np.linspace(0.0, 1.0, ECDF_POINTS)
    for planner in planners:
        latency = trials.loc[trials["planner"] == planner, "latency_ms"].to_numpy()
        points = np.maximum(np.quantile(latency, shares), MIN_LOG_MS)
        fig.add_scatter(
            name=planner,
            x=points,
            y=shares,
            mode="lines",
            line={"color": colors[planner], "width": 2, "shape": "hv"},
            hovertemplate=f"%{{y:.0%}} of plans within %{{x:.3g}} ms<extra>{planner}</extra>",
        )
    for share in (0.5, 0.95, 0.99):
        fig.add_hline(y=share, line={"color": "#c9ced4", "width": 1, "dash": "dot"})
    fig.update_xaxes(type="log", dtick="D2", title_text="planning latency (ms, log scale)")
    fig.update_yaxes(title_text="share of trials", **PCT_AXIS)
    return make_chart(
        "chart-latency",
        "Planning latency distribution",
        fig,
        caption="Cumulative share of trials planned within a time; dotted: p50, p95, p99.",
    )


def fallback_chart(summary: EvalSummary) -> Chart | None:
    """Fallback reasons of the planners that fell back (the hybrid); None if none did."""
    planners = {p: m for p, m in summary.planners.items() if m.fallback_reasons}
    if not planners:
        return None
    colors = series_colors(summary.planners)
    fig = go.Figure()
    reasons = sorted({r for m in planners.values() for r in m.fallback_reasons})
    for name, metrics in planners.items():
        counts = [metrics.fallback_reasons.get(r, 0) for r in reasons]
        fig.add_bar(
            name=name,
            y=reasons,
            x=counts,
            orientation="h",
            marker_color=colors[name],
            customdata=[c / metrics.n for c in counts],
            hovertemplate=f"%{{y}}: %{{x}} trials (%{{customdata:.1%}})<extra>{name}</extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="trials")
    fig.update_yaxes(autorange="reversed")
    rates = ", ".join(f"{p} {pct(m.rate('fallback_rate').value)}" for p, m in planners.items())
    return make_chart(
        "chart-fallbacks",
        "Fallback reasons",
        fig,
        caption=f"Why the planner did not use the model's plan. Fallback rate: {rates}.",
        height=max(220, 100 + 40 * len(reasons)),
    )


def pass_k_chart(summary: EvalSummary) -> Chart | None:
    """pass^k and pass@k against k; None without repeats."""
    planners: dict[str, PlannerMetrics] = {
        p: m for p, m in summary.planners.items() if m.pass_hat_k
    }
    if not planners:
        return None
    colors = series_colors(summary.planners)
    fig = go.Figure()
    for name, metrics in planners.items():
        for label, values, dash in (
            ("pass^k", metrics.pass_hat_k, "solid"),
            ("pass@k", metrics.pass_at_k, "dash"),
        ):
            if not values:
                continue
            ks = sorted(values)
            fig.add_scatter(
                name=f"{name} {label}",
                x=ks,
                y=[values[k] for k in ks],
                mode="lines+markers" if len(ks) <= 20 else "lines",
                line={"color": colors[name], "dash": dash, "width": 2},
                hovertemplate=f"{label}, k=%{{x}}: %{{y:.1%}}<extra>{name}</extra>",
            )
    most = max(max(m.pass_hat_k or {1: 0.0}) for m in planners.values())
    fig.update_xaxes(title_text="k (trials of the same case)", dtick=1 if most <= 12 else None)
    fig.update_yaxes(title_text="share of cases", **PCT_AXIS)
    return make_chart(
        "chart-pass-k",
        "Consistency over repeats: pass^k and pass@k",
        fig,
        caption="pass^k: all k trials of a case right (solid); pass@k: at least one (dashed).",
    )


def eval_charts(summary: EvalSummary, trials: pd.DataFrame) -> tuple[list[Chart], list[str]]:
    """Every chart of the report, and a note for each one left out (and why)."""
    charts = [accuracy_chart(summary), outcome_chart(summary)]
    notes: list[str] = []
    if trials.empty:
        return charts, ["no trials: no latency or confusion chart"]
    charts.append(latency_chart(trials))
    fallback = fallback_chart(summary)
    if fallback is not None:
        charts.append(fallback)
    elif "hybrid" in summary.planners or any(
        record.planner == "hybrid" for record in summary.spec.args.planner_specs
    ):
        notes.append("The hybrid planner never fell back: no fallback chart.")
    pass_k = pass_k_chart(summary)
    if pass_k is not None:
        charts.append(pass_k)
    else:
        notes.append("One trial per case: run with --repeats K for the pass^k chart.")
    charts.append(confusion_chart(trials))
    power = power_chart(summary)
    if power is not None:
        charts.append(power)
    elif len(summary.planners) > 1:
        notes.append("No pair of planners differed on plan accuracy: no power chart.")
    return charts, notes
