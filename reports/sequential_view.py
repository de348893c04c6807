"""The report's view of a sequential run, and of what its comparisons could detect.

`sequential_section` turns the summary's `sequential` record into a sentence and a table of
the checks: when each was decided, on how many outcomes, and the anytime-valid bounds it
stopped on. `power_chart` plots, for each pair of planners, the power of the exact McNemar
test against the number of cases, for the difference this run observed at its discordance:
how large a suite would make that difference a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import plotly.graph_objects as go

from crane_bench.evals.comparison import Comparison, points
from crane_bench.evals.power import POWER, mcnemar_cases_needed, mcnemar_power
from crane_bench.evals.run_dir import EvalSummary, sequential_sentence
from crane_bench.reports.charts import Chart, make_chart, plot_text, series_colors
from crane_bench.reports.formatting import MISSING, count, pct

STATUS_WORDS: Final = {
    "pass": "passed",
    "fail": "failed",
    "undecided": "too close to call",
    "not_sequential": "not sequential",
}
CURVE_POINTS: Final = 60
MIN_CASES: Final = 10


@dataclass(frozen=True)
class SequentialRow:
    """One check as the sequential tests left it."""

    name: str
    status: str
    tone: str
    decided_after: str
    outcomes: str
    bounds: str
    target: str
    note: str


@dataclass(frozen=True)
class SequentialSection:
    """The sentence on how the run stopped, and its checks."""

    sentence: str
    rows: list[SequentialRow] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def sequential_section(summary: EvalSummary) -> SequentialSection | None:
    """The section, or None for a run of every case."""
    s = summary.sequential
    if s is None:
        return None
    rows = [
        SequentialRow(
            name=gate.name,
            status=STATUS_WORDS[gate.status],
            tone={"pass": "good", "fail": "bad"}.get(gate.status, "muted"),
            decided_after=count(gate.decided_after) if gate.decided_after else MISSING,
            outcomes=count(gate.observations) if gate.kind else MISSING,
            bounds=(
                f"{pct(gate.lower)}–{pct(gate.upper)}"
                if gate.lower is not None and gate.upper is not None
                else MISSING
            ),
            target=f"{gate.target:g}" if gate.target is not None else MISSING,
            note=gate.what if gate.kind else gate.note,
        )
        for gate in s.gates
    ]
    ran = ", ".join(f"{planner} {count(n)}" for planner, n in s.cases_run.items())
    facts = [
        f"Cases run of {count(s.suite_cases)}: {ran}",
        f"Trials saved: {count(s.trials_saved)}; model calls made {count(s.model_calls)}, "
        f"about {count(s.model_calls_saved)} saved",
        f"Method: {s.method}",
    ]
    return SequentialSection(sentence=sequential_sentence(summary), rows=rows, facts=facts)


def _observed(c: Comparison) -> float:
    return abs(c.a_only - c.b_only) / c.n_pairs if c.n_pairs else 0.0


def power_chart(summary: EvalSummary) -> Chart | None:
    """Power against the number of cases for each pair's observed difference; None if none.

    A pair counts when its planners disagreed and one was right more often (a tie has
    nothing to plan for).
    """
    pairs = [
        c
        for c in summary.comparisons
        if c.metric == "plan_correct" and c.power is not None and _observed(c) > 0
    ]
    if not pairs:
        return None
    colors = series_colors([f"{c.planner_a} vs {c.planner_b}" for c in pairs])
    suite = max(c.n_pairs for c in pairs)
    needed = [
        mcnemar_cases_needed(_observed(c), c.power.discordance, c.alpha)  # type: ignore[union-attr]
        for c in pairs
    ]
    top = max([4 * suite, *(int(1.5 * n) for n in needed if n is not None)])
    sizes = np.unique(np.geomspace(MIN_CASES, top, CURVE_POINTS).astype(int))
    fig = go.Figure()
    for c, need in zip(pairs, needed, strict=True):
        name = f"{c.planner_a} vs {c.planner_b}"
        discordance = c.power.discordance  # type: ignore[union-attr]
        diff = _observed(c)
        power = [mcnemar_power(int(n), discordance, diff, c.alpha) for n in sizes]
        where = f"{count(need)} cases" if need is not None else "more cases than plotted"
        fig.add_scatter(
            name=plot_text(f"{name}: {points(diff)}, needs {where}"),
            x=sizes,
            y=power,
            mode="lines",
            line={"color": colors[name], "width": 2},
            hovertemplate=f"%{{x}} cases: power %{{y:.0%}}<extra>{plot_text(name)}</extra>",
        )
    fig.add_hline(y=POWER, line={"color": "#8c8c8c", "width": 1, "dash": "dot"})
    fig.add_vline(x=suite, line={"color": "#444", "width": 1, "dash": "dash"})
    fig.update_xaxes(type="log", title_text="cases (log scale; dashed: this run)")
    fig.update_yaxes(title_text="power (exact McNemar)", tickformat=".0%", range=[0, 1.02])
    return make_chart(
        "chart-power",
        "Power against the number of cases",
        fig,
        caption="For each pair of planners, the chance that a suite of that many cases finds "
        "the plan-accuracy difference this run observed, at its discordance and α; dotted: "
        f"{POWER:.0%}. Other effects: crane-bench power RUN_DIR --effect 0.03.",
    )
