"""What each gate on a rate could resolve: how far from its threshold a rate must lie.

A gate that passes says little when its threshold was within the noise of the suite: 223
cases cannot tell 0.81 from 0.80. For each threshold check on a rate this states, from
`evals.power`, how far from its threshold the true rate must lie for the check, as written,
to give the right verdict 80% of the time:

- against a number: from the number of trials the rate counted (with repeats, their
  cases: repeats are not new cases), by the check's `use` (point estimate, or a bound of
  the Wilson interval);
- against another planner's rate (both point estimates): from the paired cases and how
  often the two planners disagreed on them (`paired_gate_resolution`).

Checks on latencies, counts, means and robustness figures, and skipped checks, get none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.comparison import points
from crane_bench.evals.gate_config import CheckSpec, MetricRef
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import PlannerMetrics, metric_column
from crane_bench.evals.power import POWER, paired_gate_resolution, rate_gate_resolution
from crane_bench.plumbing.gates import GateCheck

POWER_TEXT: Final = f"{POWER:.0%} of the time"


class GatePower(BaseModel):
    """What one check on a rate could resolve."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    check: int
    """The check's position in the summary's `gates.checks`."""
    name: str
    kind: Literal["threshold", "paired"]
    """Against a number, or against another planner's rate on the same cases."""
    cases: int
    """Cases the figure rests on (paired cases for `paired`)."""
    discordance: float | None = None
    """For `paired`: the share of those cases on which the two planners disagreed."""
    resolution: float | None
    """The distance (0 to 1) from the threshold at which the check gives the right verdict
    80% of the time; None when no rate gets it right that often."""
    text: str
    """The figure in words."""
    op: str = ">="
    """The check's operator."""
    threshold: float | None = None
    """For `threshold`: the number the rate is held to."""
    use: str = "point"
    """For `threshold`: the point estimate, or a bound of the Wilson interval."""


def _rate_metric(metric: str, registry: MetricRegistry) -> bool:
    resolved = registry.resolve(metric)
    return resolved is not None and resolved[0].kind == "rate" and resolved[1] is None


def _threshold_power(
    index: int, check: GateCheck, spec: CheckSpec, planner: PlannerMetrics
) -> GatePower | None:
    scope = planner.by_category.get(spec.category) if spec.category else planner
    figure = scope.rate(spec.metric) if scope is not None else None
    if figure is None or not figure.n or not isinstance(spec.threshold, float | int):
        return None
    cases = max(1, round(figure.n / max(1, planner.repeats)))
    threshold = float(spec.threshold)
    resolution = rate_gate_resolution(cases, threshold, spec.op, spec.use)
    if resolution is None:
        text = f"{cases} cases cannot give this check the right verdict {POWER_TEXT}"
    elif spec.use == "lower_bound" and spec.op in (">=", ">"):
        text = f"passes {POWER_TEXT} once the rate is {points(resolution)} above {threshold:g} "
        text += f"({cases} cases)"
    elif spec.use == "upper_bound" and spec.op in ("<=", "<"):
        text = f"passes {POWER_TEXT} once the rate is {points(resolution)} below {threshold:g} "
        text += f"({cases} cases)"
    else:
        text = f"resolves rates {points(resolution)} from {threshold:g} on {cases} cases "
        text += f"({POWER:.0%} power)"
    return GatePower(
        check=index, name=check.name, kind="threshold", cases=cases, resolution=resolution,
        text=text, op=spec.op, threshold=threshold, use=spec.use,
    )  # fmt: skip


def _case_verdicts(frame: pd.DataFrame, planner: str, metric: str) -> pd.Series:
    rows = frame[frame["planner"] == planner]
    values = rows[metric_column(metric)].dropna()
    share = values.groupby(rows.loc[values.index, "case_id"]).mean()
    return share > 0.5  # a strict majority of the case's trials, as `evals.comparison`


def _paired_power(
    index: int, check: GateCheck, spec: CheckSpec, planner: str, frame: pd.DataFrame
) -> GatePower | None:
    ref = spec.threshold
    if not isinstance(ref, MetricRef) or spec.use != "point" or ref.use != "point":
        return None
    scope = frame if spec.category is None else frame[frame["category"] == spec.category]
    mine = _case_verdicts(scope, planner, spec.metric)
    theirs = _case_verdicts(scope, ref.planner, ref.metric or spec.metric)
    mine, theirs = mine.align(theirs, join="inner")
    cases = len(mine)
    if cases == 0:
        return None
    disagree = int((mine != theirs).sum())
    discordance = disagree / cases
    resolution = paired_gate_resolution(cases, discordance, spec.op)
    if disagree == 0:
        text = (
            f"the two agreed on all {cases} paired cases: what this check could resolve "
            "cannot be estimated"
        )
    elif resolution is None:
        text = (
            f"with {disagree} of {cases} paired cases discordant, no difference is resolved "
            f"{POWER_TEXT}"
        )
    else:
        text = f"resolves a difference of {points(resolution)} on {cases} paired cases, "
        text += f"{disagree} discordant ({POWER:.0%} power)"
    return GatePower(
        check=index, name=check.name, kind="paired", cases=cases, discordance=discordance,
        resolution=resolution, text=text, op=spec.op,
    )  # fmt: skip


def gate_power(
    targets: Sequence[tuple[CheckSpec, str]],
    checks: Sequence[GateCheck],
    metrics: dict[str, PlannerMetrics],
    frame: pd.DataFrame,
    registry: MetricRegistry = DEFAULT_METRICS,
) -> list[GatePower]:
    """The resolution of every threshold check on a rate that ran.

    Args:
        targets: The checks' specs and planners (`evals.gate_config.check_targets`), aligned with
            the first `len(targets)` of `checks`.
        checks: The checks of the run's gate report.
        metrics: The run's metrics by planner.
        frame: The run's trials on the unperturbed cases (for checks between planners).
        registry: The metrics the gates were validated against.
    """
    found: list[GatePower] = []
    for index, ((spec, planner), check) in enumerate(zip(targets, checks, strict=False)):
        if check.skipped or planner not in metrics or not _rate_metric(spec.metric, registry):
            continue
        if isinstance(spec.threshold, MetricRef):
            ref_metric = spec.threshold.metric or spec.metric
            power = (
                _paired_power(index, check, spec, planner, frame)
                if _rate_metric(ref_metric, registry)
                else None
            )
        else:
            power = _threshold_power(index, check, spec, metrics[planner])
        if power is not None:
            found.append(power)
    return found
