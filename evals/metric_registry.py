"""The metrics of a run, declared once: the summary, the gates and the reports read them here.

A `Metric` says how to read one value from a trial row (a `TrialResult`; None when the
trial does not count), how the values aggregate (`kind`, see `evals.figures`), which
direction is better, and how it is shown. In the spirit of inspect_ai's scorers and
metrics: the value per trial is a pure function of the row, the aggregate a pure
function of the values, and nothing accumulates.

A `MetricRegistry` is an immutable value. `DEFAULT_METRICS` is the one every command
uses; code that wants another metric builds its own registry and passes it in:

    @metric("rate", label="Executed", description="the plan ran to completion")
    def executed(row: TrialResult) -> bool:
        return row.run_status == "completed"

    metrics = DEFAULT_METRICS.extend(executed)

and the summary (`evals.metrics.compute_metrics`), the gates (`evals.gate_config`,
`evals.gates`), the terminal table, `summary.md` and the HTML report all take it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

from crane_bench.evals.figures import LATENCY_FIELDS, MetricKind
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.runtime.models import FallbackReason

Better = Literal["higher", "lower"]
Show = Literal["brief", "report", "hidden"]
"""Where a metric is a column: `brief` in the terminal table, `summary.md` and the report;
`report` in the report only; `hidden` in none (it is still in `summary.json` and gates)."""
Format = Literal["percent", "ms", "number", "usd"]
TrialValue = Callable[[TrialResult], float | bool | None]

RESERVED: Final = frozenset(
    {"n", "cases", "outcomes", "robustness", "by_category", "fallback_reasons", "metrics"}
)
"""Names the summary already uses for something else."""
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT_FORMAT: Final[dict[MetricKind, Format]] = {
    "rate": "percent",
    "latency": "ms",
    "mean": "number",
    "sum": "number",
}


@dataclass(frozen=True)
class Metric:
    """One metric: how a trial gives its value, how values aggregate, how it is shown.

    Attributes:
        name: Its key in `summary.json` and in gates (`plan_accuracy`).
        kind: `rate` (share of true values, 95% CI), `latency` (percentiles, ms),
            `mean` or `sum`.
        value: The trial's value; None when the trial does not count.
        label: The column header in the report (`Plan acc.`).
        better: Which direction is an improvement; None for a trait that is neither
            (how often the model was asked). Regression tolerances default to it.
        description: One phrase, shown on hover and in help.
        short: The terminal table's header (narrow); defaults to `label`.
        show: Where it is a column.
        format: How a value is written; defaults by kind.
    """

    name: str
    kind: MetricKind
    value: TrialValue
    label: str
    better: Better | None = "higher"
    description: str = ""
    short: str = ""
    show: Show = "report"
    format: Format | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name in RESERVED:
            raise ValueError(
                f"metric name {self.name!r}: use lower_snake_case, not one of "
                f"{', '.join(sorted(RESERVED))}"
            )
        if self.kind == "rate" and self.format not in (None, "percent"):
            raise ValueError(f"metric {self.name!r}: a rate is shown as a percent")

    @property
    def fmt(self) -> Format:
        """How a value of this metric is written."""
        return self.format or _DEFAULT_FORMAT[self.kind]

    @property
    def header(self) -> str:
        """The terminal table's header."""
        return self.short or self.label

    def paths(self) -> tuple[str, ...]:
        """The names a gate can give this metric: `name`, or `name.p95` for a latency."""
        if self.kind == "latency":
            return tuple(f"{self.name}.{part}" for part in LATENCY_FIELDS)
        return (self.name,)


def metric(
    kind: MetricKind,
    *,
    label: str,
    name: str | None = None,
    better: Better | None = "higher",
    description: str = "",
    short: str = "",
    show: Show = "report",
    format: Format | None = None,
) -> Callable[[TrialValue], Metric]:
    """Make a `Metric` of a function from a trial row to its value (named after it)."""

    def make(value: TrialValue) -> Metric:
        return Metric(
            name=name or value.__name__,
            kind=kind,
            value=value,
            label=label,
            better=better,
            description=description,
            short=short,
            show=show,
            format=format,
        )

    return make


@dataclass(frozen=True)
class MetricRegistry:
    """An ordered, immutable set of metrics; the order is the order of columns."""

    metrics: tuple[Metric, ...]
    _by_name: dict[str, Metric] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Metric] = {}
        for item in self.metrics:
            if item.name in by_name:
                raise ValueError(f"metric {item.name!r} is registered twice")
            by_name[item.name] = item
        object.__setattr__(self, "_by_name", by_name)

    def extend(self, *metrics: Metric) -> MetricRegistry:
        """A new registry with `metrics` after these (this one is unchanged).

        Raises:
            ValueError: A name is already registered.
        """
        return MetricRegistry((*self.metrics, *metrics))

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Metric | None:
        """The metric called `name`, or None."""
        return self._by_name.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every metric's name, in order."""
        return tuple(self._by_name)

    def shown(self, where: Literal["brief", "report"]) -> tuple[Metric, ...]:
        """The metrics that are columns in the brief views, or in the report."""
        levels = ("brief",) if where == "brief" else ("brief", "report")
        return tuple(item for item in self.metrics if item.show in levels)

    def paths(self) -> tuple[str, ...]:
        """Every metric path a gate can name, in order."""
        return tuple(path for item in self.metrics for path in item.paths())

    def resolve(self, path: str) -> tuple[Metric, str | None] | None:
        """`latency_ms.p95` -> (the latency metric, "p95"); `plan_accuracy` -> (it, None).

        None when the path names no registered metric or no part of it.
        """
        head, _, part = path.partition(".")
        found = self._by_name.get(head)
        if found is None or path not in found.paths():
            return None
        return found, part or None


NOT_FALLBACKS: Final = frozenset({"pattern_confident"})
"""Reasons older runs recorded although nothing fell back (the rules answered alone)."""


def _fell_back(row: TrialResult) -> bool:
    return row.fallback_reason is not None and row.fallback_reason not in NOT_FALLBACKS


def _prefix_reuse(row: TrialResult) -> float | None:
    """The share of the plan's prompt tokens served from the model server's cache."""
    if row.tokens_cached is None or row.tokens_in <= 0 or row.cached:
        return None
    return min(row.tokens_cached / row.tokens_in, 1.0)


def _fell_back_by(reason: FallbackReason) -> Metric:
    """The share of all trials that fell back for `reason` (`timeout_fallback_rate`)."""
    words = reason.value.replace("_", " ")
    return Metric(
        f"{reason.value}_fallback_rate",
        "rate",
        lambda row: row.fallback_reason == reason.value,
        f"Fallbacks ({words})",
        better=None,
        description=f"model asked, its answer not used because of {words}; a share of all trials",
        show="hidden",
    )


FALLBACK_REASON_METRICS: Final = tuple(_fell_back_by(reason) for reason in FallbackReason)
"""One rate per fallback reason, `<reason>_fallback_rate`: the load SLO's ceiling on
`timeout_fallback_rate` holds the hybrid to a model that answers in time."""


DEFAULT_METRICS: Final = MetricRegistry(
    (
        Metric("plan_accuracy", "rate", lambda r: r.plan_correct, "Plan acc.",
               description="whole plan right: tools, count, inputs", short="plan", show="brief"),
        Metric("tool_accuracy", "rate", lambda r: r.tool_correct, "Tool acc.",
               description="tool names right, in order", short="tool", show="brief"),
        Metric("args_accuracy", "rate", lambda r: r.args_correct, "Args acc.",
               description="every step's input right"),
        Metric("outcome_accuracy", "rate", lambda r: r.end_to_end_correct, "End-to-end",
               description="plan right and running it gave the outcome", short="e2e",
               show="brief"),
        Metric("valid_plan_rate", "rate", lambda r: r.valid_plan, "Valid plans",
               description="schema, known tools, valid inputs", short="valid", show="brief"),
        Metric("model_call_rate", "rate", lambda r: r.model_calls > 0, "Model asked",
               better=None, description="trials that called the model", short="asked",
               show="brief"),
        Metric("fallback_rate", "rate", _fell_back, "Fallbacks", better=None,
               description="model asked, its answer not used", short="fb", show="brief"),
        Metric("abstention_precision", "rate",
               lambda r: r.expected_abstain if r.abstained else None, "Abstain prec.",
               description="abstained and should have"),
        Metric("abstention_recall", "rate",
               lambda r: r.abstained if r.expected_abstain else None, "Abstain recall",
               description="should abstain and did"),
        Metric("latency_ms", "latency", lambda r: r.latency_ms, "ms", better="lower",
               description="planning latency", short="ms", show="brief"),
        Metric("prefix_reuse", "mean", _prefix_reuse, "Prefix reuse", better=None,
               description="share of a plan's prompt tokens the model server took from "
               "its cache, 0 to 1 (servers that report it: llama-server, OpenAI, vLLM)"),
        Metric("tokens_per_plan", "mean", lambda r: r.tokens_in + r.tokens_out, "Tokens/plan",
               better="lower", description="prompt plus completion", short="tokens"),
        Metric("cost_per_plan_usd", "mean", lambda r: r.cost_usd, "$/plan", better="lower",
               description="model cost per trial", format="usd"),
        Metric("step_accuracy", "rate", lambda r: r.step_count_correct, "Step acc.",
               description="right number of steps", show="hidden"),
        Metric("false_action_rate", "rate",
               lambda r: r.outcome is OutcomeClass.FALSE_ACTION if r.expected_abstain else None,
               "False actions", better="lower",
               description="of the prompts that need no tool, the share that planned a step",
               show="hidden"),
        Metric("any_step_rate", "rate",
               lambda r: bool(r.plan and r.plan.steps) if r.expected_abstain else None,
               "Any step", better="lower",
               description="of the prompts that need no tool, the share that planned any "
               "step, valid or not (false_action_rate counts the valid plans only)",
               show="hidden"),
        Metric("model_latency_ms", "latency",
               lambda r: r.latency_ms if r.model_calls > 0 else None, "model ms",
               better="lower", description="latency of the trials that asked the model",
               show="hidden"),
        Metric("total_tokens", "sum", lambda r: r.tokens_in + r.tokens_out, "Tokens",
               better="lower", description="every trial's tokens", show="hidden"),
        Metric("total_cost_usd", "sum", lambda r: r.cost_usd, "Cost", better="lower",
               description="every trial's model cost", show="hidden", format="usd"),
        *FALLBACK_REASON_METRICS,
    )
)  # fmt: skip
"""The metrics every command reports, in column order."""
