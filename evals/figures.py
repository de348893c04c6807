"""A metric's value on a set of trials (a figure), and how trial values aggregate into one.

Every metric of the registry (`evals.metric_registry`) reads one value per trial; a
figure is what those values add up to, by the metric's kind:

- `rate`: the share of true values, with a 95% interval that clusters the trials by case
  (`stats.clustered_interval`: repeats are not new cases; with one trial per case it is
  the Wilson interval);
- `latency`: linear-interpolation percentiles and the mean of the trials the model
  answered live; trials the response cache answered are left out unless every trial was;
- `mean` and `sum`: the mean or the total of the values.

A trial whose value is None does not count (abstention precision counts only the trials
that abstained). Figures are pydantic models tagged by `kind`, as `summary.json` holds them.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from crane_bench.evals.stats import Interval, clustered_interval, percentiles

MetricKind = Literal["rate", "latency", "mean", "sum"]
LATENCY_FIELDS: Final = ("p50", "p95", "p99", "mean", "n", "cached_excluded")
"""The parts of a latency figure a gate can name (`latency_ms.p95`)."""


class RateFigure(BaseModel):
    """The share of trials whose value is true, with its 95% interval."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    kind: Literal["rate"] = "rate"
    value: float | None = None
    """None when no trial counts (abstention precision of a planner that never abstained)."""
    ci: Interval | None = None
    n: int | None = None
    """Trials counted; None in summaries written before it was recorded."""


class LatencyFigure(BaseModel):
    """Latency percentiles in milliseconds of the trials measured."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    kind: Literal["latency"] = "latency"
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    mean: float | None = None
    n: int = 0
    """Trials measured."""
    cached_excluded: int = 0
    """Trials left out because the response cache answered them (their time is the
    cache's, not the model's); when every trial was, all are measured and this is 0."""


class ScalarFigure(BaseModel):
    """The mean or the total of the trials' values."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    kind: Literal["mean", "sum"]
    value: float | None = None
    """None when no trial counts (the mean of nothing)."""
    n: int | None = None
    """Trials counted; None in summaries written before it was recorded."""


Figure = Annotated[RateFigure | LatencyFigure | ScalarFigure, Field(discriminator="kind")]


def rate_figure(flags: pd.Series, cases: pd.Series) -> RateFigure:
    """The share of true `flags` (NaN: not counted), trials clustered by `cases`."""
    counted = flags.notna()
    flags, cases = flags[counted].astype(bool), cases[counted]
    n = len(flags)
    if n == 0:
        return RateFigure(value=None, ci=None, n=0)
    per_case = flags.astype(int).groupby(cases.to_numpy()).agg(["sum", "size"])
    interval = clustered_interval(per_case["sum"].tolist(), per_case["size"].tolist())
    return RateFigure(value=float(flags.sum()) / n, ci=interval, n=n)


def latency_figure(values: pd.Series, cached: pd.Series) -> LatencyFigure:
    """Percentiles of the live trials' `values` (all of them if the cache answered all)."""
    counted = values.notna()
    values, cached = values[counted].astype(float), cached[counted].astype(bool)
    if values.empty:
        return LatencyFigure()
    live = values[~cached]
    measured = (live if not live.empty else values).tolist()
    p50, p95, p99 = percentiles(measured)
    return LatencyFigure(
        p50=p50,
        p95=p95,
        p99=p99,
        mean=float(sum(measured) / len(measured)),
        n=len(measured),
        cached_excluded=len(values) - len(measured),
    )


def scalar_figure(kind: Literal["mean", "sum"], values: pd.Series) -> ScalarFigure:
    """The mean or total of `values`, NaN not counted."""
    counted = values.dropna().astype(float)
    if counted.empty:
        return ScalarFigure(kind=kind, value=None if kind == "mean" else 0.0, n=0)
    total = float(counted.sum())
    value = total / len(counted) if kind == "mean" else total
    return ScalarFigure(kind=kind, value=value, n=len(counted))


def aggregate(kind: MetricKind, values: pd.Series, trials: pd.DataFrame) -> Figure:
    """The figure of one metric's per-trial `values` (aligned with `trials`) by its kind.

    Args:
        kind: How the values aggregate.
        values: One value per trial, NaN for a trial that does not count.
        trials: The trials frame (`case_id` to cluster by, `cached` for latency).
    """
    if kind == "rate":
        return rate_figure(values, trials["case_id"])
    if kind == "latency":
        return latency_figure(values, trials["cached"])
    return scalar_figure(kind, values)


def figure_value(figure: Figure, part: str | None = None) -> float | None:
    """One number of a figure: a rate's or scalar's value, or a latency part (`p95`).

    Raises:
        ValueError: `part` is not a part of this figure.
    """
    if isinstance(figure, LatencyFigure):
        if part not in LATENCY_FIELDS:
            raise ValueError(f"a latency figure has {', '.join(LATENCY_FIELDS)}, not {part!r}")
        value: float | None = getattr(figure, part)
        return None if value is None else float(value)
    if part is not None:
        raise ValueError(f"a {figure.kind} figure has one value, not {part!r}")
    return figure.value
