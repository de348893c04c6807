"""The figures of accuracy under load as data: what `load_summary.json` holds under `quality`.

Plain pydantic models with no statistics library behind them, so the load summary (and
the CLI that prints it) reads them without importing pandas or the eval package; the
figures are computed in `load.quality`.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

Interval = tuple[float, float]
"""A confidence interval: (lower, upper)."""
AccuracyMetric = Literal["plan_accuracy", "end_to_end_accuracy"]
ACCURACY_METRICS: Final[tuple[AccuracyMetric, ...]] = ("plan_accuracy", "end_to_end_accuracy")
Direction = Literal["lower", "higher", "no_difference"]
DEFAULT_ALPHA: Final = 0.05


class QualityStats(BaseModel):
    """Accuracy and how the planner got there, over a set of scored runs."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    n: int
    """Scored runs."""
    cases: int
    """Distinct cases among them."""
    plan_accuracy: float | None
    plan_accuracy_ci: Interval | None
    """Wilson 95% interval, runs clustered by case."""
    end_to_end_accuracy: float | None
    """The plan is right and running it gave the expected outcome."""
    end_to_end_accuracy_ci: Interval | None
    model_call_rate: float | None
    """Runs whose planner asked the model at least once."""
    model_call_rate_ci: Interval | None
    fallback_rate: float | None
    """Runs where the model was asked and its answer not (all) used."""
    fallback_rate_ci: Interval | None
    fallback_reasons: dict[str, int] = Field(default_factory=dict)
    outcomes: dict[str, int] = Field(default_factory=dict)
    """Runs per outcome class (the eval's), zeros left out."""
    run_p50_ms: float | None = None
    run_p95_ms: float | None = None
    """End-to-end latency percentiles of these runs (none for an eval run's rows)."""


class StepQuality(QualityStats):
    """The runs submitted during one stage of the load shape."""

    step: int
    users: int
    from_s: float
    """First submission of the stage, seconds from the start."""
    until_s: float
    """Last submission of the stage."""


class UnloadedComparison(BaseModel):
    """One accuracy under load against the same planner's without load, and the verdict."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    metric: AccuracyMetric
    test: Literal["mcnemar", "two_proportion"]
    """Exact McNemar on the cases both sides ran, else a two-proportion z-test."""
    loaded: float
    """Share of cases right under load (majority of a case's runs)."""
    unloaded: float
    loaded_cases: int
    unloaded_cases: int
    n_pairs: int = 0
    """Cases both sides ran (McNemar)."""
    only_loaded: int = 0
    """Cases right under load and wrong without (McNemar)."""
    only_unloaded: int = 0
    """Cases right without load and wrong under it (McNemar)."""
    p_value: float
    alpha: float = DEFAULT_ALPHA
    direction: Direction
    """`lower`: significantly lower under load."""
    verdict: str
    """The comparison in words."""


class PlannerQuality(QualityStats):
    """One planner under load: overall, per load step, and against its unloaded accuracy."""

    by_step: list[StepQuality]
    unloaded: QualityStats | None = None
    """The same planner on the same cases without load, when there is a reference."""
    comparisons: list[UnloadedComparison] = Field(default_factory=list)


class QualityReport(BaseModel):
    """Accuracy under load of every planner of a `gold` run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    unloaded_source: str
    """Where the unloaded accuracy came from: `pass` (a serial pass through the same
    service before the load), an eval run directory, or `none`."""
    planners: dict[str, PlannerQuality]
    """By planner label."""
