"""The robustness section of the eval report: perturbations and out-of-domain prompts.

For each planner and perturbation (a run with `--perturb`) one line in words, from the
summary's `robustness` figures: accuracy on the variants against the originals of the
same pairs, the flip rate, and the paired test's verdict; and one chart per planner.
For each planner that ran `out_of_domain` cases, its false-action rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import plotly.graph_objects as go

from crane_bench.evals.robustness import RobustnessMetrics
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.reports.charts import Chart, error_bars, make_chart, plot_text, series_colors
from crane_bench.reports.formatting import interval, pct

OUT_OF_DOMAIN: Final = "out_of_domain"
PCT_AXIS: Final = {"tickformat": ".0%", "range": [0, 1.05]}


@dataclass(frozen=True)
class RobustnessLine:
    """One planner under one perturbation, in words."""

    planner: str
    perturbation: str
    accuracy: str
    """`"71.0% (95% CI ...) vs 84.5% on the originals"`."""
    flip_rate: str
    verdict: str
    significant: bool


@dataclass(frozen=True)
class RobustnessSection:
    """What the report's robustness section shows."""

    lines: list[RobustnessLine]
    false_actions: list[str]
    """One sentence per planner that ran out-of-domain cases."""
    charts: list[Chart]


def _line(planner: str, name: str, figures: RobustnessMetrics) -> RobustnessLine:
    accuracy = (
        f"{pct(figures.accuracy)} ({interval(figures.accuracy_ci)}) on {figures.pairs} variants"
        f" vs {pct(figures.original_accuracy)} on their originals"
    )
    flips = (
        f"{pct(figures.flip_rate)} ({interval(figures.flip_rate_ci)})"
        if figures.flip_rate is not None
        else "n/a (no original right)"
    )
    return RobustnessLine(
        planner=planner,
        perturbation=name,
        accuracy=accuracy,
        flip_rate=flips,
        verdict=figures.verdict,
        significant=figures.test.winner is not None,
    )


def robustness_chart(planner: str, figures: dict[str, RobustnessMetrics], color: str) -> Chart:
    """Plan accuracy per perturbation, variants (bars, Wilson whiskers) vs originals."""
    names = list(figures)
    values = [figures[n].accuracy for n in names]
    bounds = [figures[n].accuracy_ci for n in names]
    fig = go.Figure()
    fig.add_bar(
        name="variants",
        x=[plot_text(n) for n in names],
        y=values,
        marker_color=color,
        error_y={**error_bars(values, bounds), "color": "#444", "thickness": 1.2},
        customdata=[[figures[n].pairs, figures[n].flips, figures[n].gains] for n in names],
        hovertemplate="%{x}: %{y:.1%} on %{customdata[0]} variants, "
        "%{customdata[1]} flips, %{customdata[2]} gains<extra>variants</extra>",
    )
    fig.add_scatter(
        name="originals of the same pairs",
        x=[plot_text(n) for n in names],
        y=[figures[n].original_accuracy for n in names],
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 28, "color": "#222", "line": {"width": 2}},
        hovertemplate="%{x}: originals %{y:.1%}<extra></extra>",
    )
    fig.update_yaxes(title_text="plan accuracy", **PCT_AXIS)
    return make_chart(
        f"chart-robustness-{planner}",
        f"Robustness of {planner} under perturbation",
        fig,
        caption="Bars: plan accuracy on the perturbed variants (Wilson 95% whiskers); "
        "dashes: the same cases unperturbed. A significant drop is in the verdicts above.",
    )


def robustness_section(summary: EvalSummary) -> RobustnessSection:
    """The robustness lines, charts and false-action sentences of a run."""
    colors = series_colors(summary.planners)
    lines: list[RobustnessLine] = []
    charts: list[Chart] = []
    false_actions: list[str] = []
    for planner, metrics in summary.planners.items():
        for name, figures in metrics.robustness.items():
            lines.append(_line(planner, name, figures))
        if metrics.robustness:
            charts.append(robustness_chart(planner, metrics.robustness, colors[planner]))
        ood = metrics.by_category.get(OUT_OF_DOMAIN)
        acted = ood.rate("false_action_rate") if ood is not None else None
        if ood is not None and acted is not None and acted.value is not None:
            false_actions.append(
                f"{planner}: false-action rate {pct(acted.value)} "
                f"({interval(acted.ci)}) on {ood.cases} out-of-domain cases"
            )
    return RobustnessSection(lines=lines, false_actions=false_actions, charts=charts)
