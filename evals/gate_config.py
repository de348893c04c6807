"""The quality-gate file format (`evals/gates.yaml`): pydantic models and the loader.

A check names a planner by its label in the run (`hybrid`, `hybrid[strategy=llm-first]`,
or the `LABEL=` of a planner spec; `"*"` for every planner in the run), a metric by its name
in the metric registry (`plan_accuracy`, `latency_ms.p95`; `evals.metric_registry`), or
`n`, `cases`, `outcomes.<class>`, `robustness.<perturbation>.<figure>`, an
operator and a threshold: a number, or another planner's metric. `use: lower_bound`
compares the lower end of the rate's Wilson 95% interval instead of the point estimate,
so the evidence, not just the estimate, has to clear the bar. The `regression` section
sets the baseline comparison: the paired test's alpha and metric, and how far each
metric may move the wrong way before the gate fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Final, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crane_bench.evals.comparison import DEFAULT_ALPHA, PairedMetric
from crane_bench.evals.errors import GateConfigError
from crane_bench.evals.metric_registry import DEFAULT_METRICS, Better, MetricRegistry
from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.robustness import RobustnessMetrics
from crane_bench.plumbing.validation import first_problem

Op = Literal[">=", "<=", ">", "<"]
Use = Literal["point", "lower_bound", "upper_bound"]
ALL_PLANNERS: Final = "*"
Number = Annotated[float, Field(allow_inf_nan=False)]

STRUCTURAL_PATHS: Final = ("n", "cases")
"""Paths a check can name besides the registry's metrics: trials and distinct cases."""
ROBUSTNESS_FIELDS: Final[frozenset[str]] = frozenset(
    {"pairs", "accuracy", "original_accuracy", "accuracy_drop", "flip_rate", "flips", "gains"}
)
"""The figures of `RobustnessMetrics` a check can name (`robustness.typos.flip_rate`)."""
ROBUSTNESS_RATES: Final[frozenset[str]] = frozenset(
    name for name in ROBUSTNESS_FIELDS if f"{name}_ci" in RobustnessMetrics.model_fields
)
_ROBUSTNESS_PATH: Final = re.compile(r"^robustness\.([a-z][a-z0-9_]*)\.([a-z_]+)$")
_OUTCOME_PATHS: Final = frozenset(f"outcomes.{cls.value}" for cls in OutcomeClass)
METRICS_CONTEXT: Final = "metrics"
"""The validation context key that carries the metric registry (`load_gates` sets it)."""


def registry_of(info: ValidationInfo) -> MetricRegistry:
    """The registry a gates file is validated against: the context's, or the default."""
    context = info.context if isinstance(info.context, dict) else {}
    found = context.get(METRICS_CONTEXT, DEFAULT_METRICS)
    return found if isinstance(found, MetricRegistry) else DEFAULT_METRICS


def robustness_path(metric: str) -> tuple[str, str] | None:
    """`robustness.typos.flip_rate` -> ("typos", "flip_rate"); None for other paths."""
    match = _ROBUSTNESS_PATH.match(metric)
    if match is None or match.group(2) not in ROBUSTNESS_FIELDS:
        return None
    return match.group(1), match.group(2)


def has_interval(metric: str, metrics: MetricRegistry = DEFAULT_METRICS) -> bool:
    """True when a metric path has a 95% CI, so `use: lower_bound | upper_bound` applies."""
    found = robustness_path(metric)
    if found is not None:
        return found[1] in ROBUSTNESS_RATES
    resolved = metrics.resolve(metric)
    return resolved is not None and resolved[0].kind == "rate"


def is_rate(metric: str, metrics: MetricRegistry = DEFAULT_METRICS) -> bool:
    """True when a metric path is a share (a rate, or a robustness share): shown as such."""
    found = robustness_path(metric)
    if found is not None:
        return found[1] in {*ROBUSTNESS_RATES, "accuracy_drop"}
    return has_interval(metric, metrics)


def check_metric(metric: str, metrics: MetricRegistry = DEFAULT_METRICS) -> str:
    """Validate a metric path against a registry; return it unchanged.

    Raises:
        ValueError: The metric is unknown; the message lists the known ones.
    """
    known = metric in STRUCTURAL_PATHS or metric in _OUTCOME_PATHS
    if known or metrics.resolve(metric) is not None or robustness_path(metric) is not None:
        return metric
    names = ", ".join([*metrics.paths(), *STRUCTURAL_PATHS])
    raise ValueError(
        f"unknown metric {metric!r}; known: {names}, outcomes.<class>, "
        f"robustness.<perturbation>.<{'|'.join(sorted(ROBUSTNESS_FIELDS))}>"
    )


def check_use(metric: str, use: Use, metrics: MetricRegistry = DEFAULT_METRICS) -> None:
    """Make sure a metric has the interval that `use` asks for.

    Raises:
        ValueError: `use` asks for a bound and the metric has no 95% CI.
    """
    if use != "point" and not has_interval(metric, metrics):
        raise ValueError(f"use: {use} needs a rate with a 95% CI; {metric!r} has none")


def direction(metric: str, metrics: MetricRegistry = DEFAULT_METRICS) -> Better | None:
    """Which way a metric path improves, by the registry; None when it has no direction."""
    resolved = metrics.resolve(metric)
    if resolved is None:
        return None
    part = resolved[1]
    return None if part in ("n", "cached_excluded") else resolved[0].better


class MetricRef(BaseModel):
    """A threshold taken from another planner's metric in the same run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    planner: str = Field(min_length=1)
    metric: str | None = None
    """Defaults to the check's own metric."""
    use: Use = "point"

    @field_validator("metric")
    @classmethod
    def _check_metric(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_metric(value, registry_of(info))

    @model_validator(mode="after")
    def _check_use(self, info: ValidationInfo) -> Self:
        if self.planner == ALL_PLANNERS:
            raise ValueError(f"a reference names one planner, not {ALL_PLANNERS!r}")
        if self.metric is not None:
            check_use(self.metric, self.use, registry_of(info))
        return self


def _threshold_kind(value: object) -> str:
    return "reference" if isinstance(value, dict | MetricRef) else "number"


# Tagged, so a bad reference is reported as such rather than as "not a valid number".
Threshold = Annotated[
    Annotated[Number, Tag("number")] | Annotated[MetricRef, Tag("reference")],
    Discriminator(_threshold_kind),
]


class CheckSpec(BaseModel):
    """One threshold check, e.g. `pattern plan_accuracy >= 0.85`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str | None = None
    """Shown in reports; defaults to `<planner> <metric> <op> <threshold>`."""
    planner: str = Field(min_length=1)
    """A planner's label (its spec as written, or its `LABEL=`), or `*` for each one."""
    metric: str
    op: Op
    threshold: Threshold
    """A number, or `{planner, metric, use}` naming another planner's metric."""
    use: Use = "point"
    """Compare the point estimate, or the lower or upper end of its 95% CI."""
    category: str | None = None
    """Check the planner's metrics on one category instead of all its trials."""

    @field_validator("metric")
    @classmethod
    def _check_metric(cls, value: str, info: ValidationInfo) -> str:
        return check_metric(value, registry_of(info))

    @model_validator(mode="after")
    def _check_use(self, info: ValidationInfo) -> Self:
        metrics = registry_of(info)
        check_use(self.metric, self.use, metrics)
        if isinstance(self.threshold, MetricRef) and self.threshold.metric is None:
            check_use(self.metric, self.threshold.use, metrics)
        return self


class Tolerance(BaseModel):
    """How far a metric may move the wrong way from the baseline before the gate fails.

    The allowance is the larger of `absolute` and `relative` times the baseline value, so
    `{relative: 0.5, absolute: 5}` on a latency lets a 2 ms p95 grow to 7 ms, not 3 ms.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    better: Better | None = None
    """Which direction is an improvement; default: the metric's own (`evals.metric_registry`)."""
    absolute: Number | None = Field(None, ge=0)
    relative: Number | None = Field(None, ge=0)
    """A fraction of the baseline value: 0.5 is 50%."""

    @model_validator(mode="after")
    def _check_some(self) -> Self:
        if self.absolute is None and self.relative is None:
            raise ValueError("give absolute, relative or both")
        return self

    def allowance(self, baseline: float) -> float:
        """The change in the wrong direction that is still tolerated."""
        return max(self.absolute or 0.0, (self.relative or 0.0) * abs(baseline))


class RegressionSpec(BaseModel):
    """The regression gate against a baseline run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    alpha: float = Field(DEFAULT_ALPHA, gt=0, lt=1)
    """Significance level of the paired (exact McNemar) test."""
    paired_metric: PairedMetric = "plan_correct"
    tolerances: dict[str, Tolerance] = Field(default_factory=dict)
    """Metric path -> tolerance."""

    @field_validator("tolerances")
    @classmethod
    def _check_paths(
        cls, value: dict[str, Tolerance], info: ValidationInfo
    ) -> dict[str, Tolerance]:
        metrics = registry_of(info)
        resolved: dict[str, Tolerance] = {}
        for metric, tolerance in value.items():
            check_metric(metric, metrics)
            better = tolerance.better or direction(metric, metrics)
            if better is None:
                raise ValueError(f"{metric}: give better: higher or lower (it has no direction)")
            resolved[metric] = tolerance.model_copy(update={"better": better})
        return resolved


class SequentialSpec(BaseModel):
    """How `crane-bench eval --stop-when-decided` decides the checks (`evals.sequential`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    alpha: float = Field(DEFAULT_ALPHA, gt=0, lt=0.5)
    """Each check's error rate: the chance, over a whole run looked at after every case,
    that it is decided the wrong way (passed when the truth fails it, or failed when the
    truth passes it)."""


class GatesConfig(BaseModel):
    """A gates file: threshold checks, the regression gate and the sequential tests."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    checks: list[CheckSpec] = Field(default_factory=list)
    regression: RegressionSpec = Field(default_factory=RegressionSpec)
    sequential: SequentialSpec = Field(default_factory=SequentialSpec)


def check_targets(config: GatesConfig, planners: Iterable[str]) -> list[tuple[CheckSpec, str]]:
    """Each threshold check of `config` with the planner it reads, in the report's order.

    A `*` check becomes one per planner, in sorted order; with no planners it stays `*`
    (and is skipped). The regression checks come after these in a report.
    """
    names = sorted(planners)
    targets: list[tuple[CheckSpec, str]] = []
    for spec in config.checks:
        if spec.planner != ALL_PLANNERS:
            targets.append((spec, spec.planner))
        else:
            targets += [(spec, name) for name in names] or [(spec, ALL_PLANNERS)]
    return targets


def load_gates(path: Path, metrics: MetricRegistry = DEFAULT_METRICS) -> GatesConfig:
    """Load and validate a gates file; its metrics must be registered in `metrics`.

    Raises:
        GateConfigError: The file cannot be read, is not YAML, or does not fit the format;
            one line naming the file and the field.
    """
    try:
        # libyaml's loader (in PyYAML's wheels) reads it about eight times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe
    except (OSError, UnicodeDecodeError) as exc:
        raise GateConfigError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise GateConfigError(f"{path}: YAML error: {problem}") from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise GateConfigError(f"{path}: expected a mapping with 'checks', got {got}")
    try:
        return GatesConfig.model_validate(data, context={METRICS_CONTEXT: metrics})
    except ValidationError as exc:
        raise GateConfigError(
            f"{path}: {first_problem(exc, top='gates', count_others=True)}"
        ) from None
