"""Prometheus metrics of one service instance, and a JSON digest of them.

Every metric lives in the instance's own `CollectorRegistry`, so two apps (or two
tests) never share counts. With several uvicorn workers each process has its own
instance: scrape every worker, or sum them in Prometheus.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from crane_bench.runtime.models import RunRecord, StepStatus
from crane_bench.runtime.service.schemas import MetricsSummary, PlannerUsage, ToolUsage

NAMESPACE = "crane"
# From a pattern-planned calculator step (tens of microseconds) to a slow model (minutes).
BUCKETS_S = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
)  # fmt: skip
Samples = dict[tuple[str, ...], float]
UNKNOWN_TOOL = "(unknown)"


class ServiceMetrics:
    """Counters, histograms and a gauge about runs; implements the executor's recorder.

    Args:
        registry: Where the metrics register; a fresh one when None.
        tools: The registered tool names. A plan may name any tool, so other names are
            counted as `(unknown)` to keep the number of series bounded whatever a
            model writes. None counts every name as given.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, tools: Iterable[str] | None = None
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.tools = frozenset(tools) if tools is not None else None
        ns, reg = NAMESPACE, self.registry
        self.runs = Counter(
            "runs", "Finished runs.", ["planner", "status"], namespace=ns, registry=reg
        )
        self.steps = Counter(
            "steps", "Finished steps.", ["tool", "status"], namespace=ns, registry=reg
        )
        self.step_duration = Histogram(
            "step_duration_seconds",
            "Duration of executed steps, retries included.",
            ["tool"],
            namespace=ns,
            registry=reg,
            buckets=BUCKETS_S,
        )
        self.run_duration = Histogram(
            "run_duration_seconds",
            "Duration of runs, planning included.",
            ["planner"],
            namespace=ns,
            registry=reg,
            buckets=BUCKETS_S,
        )
        self.planner_latency = Histogram(
            "planner_latency_seconds",
            "Time to make a plan.",
            ["planner"],
            namespace=ns,
            registry=reg,
            buckets=BUCKETS_S,
        )
        self.llm_tokens = Counter(
            "llm_tokens",
            "Tokens sent to and received from the model.",
            ["planner", "direction"],
            namespace=ns,
            registry=reg,
        )
        self.fallbacks = Counter(
            "planner_fallbacks",
            "Plans where the hybrid asked the model and did not use its answer, by reason.",
            ["reason"],
            namespace=ns,
            registry=reg,
        )
        self.model_asked = Counter(
            "planner_plans",
            "Plans made, by whether the model was asked (model_asked: yes or no).",
            ["planner", "model_asked"],
            namespace=ns,
            registry=reg,
        )
        self.retries = Counter(
            "step_retries", "Step attempts that were retried.", ["tool"], namespace=ns, registry=reg
        )
        self.timeouts = Counter(
            "timeouts", "Timeouts, by scope (step or run).", ["scope"], namespace=ns, registry=reg
        )
        self.in_flight = Gauge(
            "runs_in_flight", "Runs pending or running.", namespace=ns, registry=reg
        )
        self.rejected = Counter(
            "runs_rejected",
            "Submissions refused before running.",
            ["reason"],
            namespace=ns,
            registry=reg,
        )

    # The recorder interface (runtime.service.executor.RunRecorder).

    def run_started(self) -> None:
        """A run was accepted and is now in flight."""
        self.in_flight.inc()

    def run_ended(self) -> None:
        """A run left flight (finished, failed or was cancelled)."""
        self.in_flight.dec()

    def run_rejected(self, reason: str) -> None:
        """A submission was refused (busy, shutting down)."""
        self.rejected.labels(reason=reason).inc()

    def step_retried(self, tool: str, attempt: int, exc: BaseException) -> None:
        """The orchestrator's `on_retry` hook: attempt `attempt` of `tool` raised `exc`."""
        self.retries.labels(tool=tool).inc()

    def run_finished(self, run: RunRecord) -> None:
        """Count a finished run: status, steps, durations, planner latency, tokens."""
        planner = run.planner.planner if run.planner else "unknown"
        self.runs.labels(planner=planner, status=run.status.value).inc()
        self.run_duration.labels(planner=planner).observe(run.duration_ms / 1000)
        if run.error is not None and run.error.kind == "run_timeout":
            self.timeouts.labels(scope="run").inc()
        for step in run.steps:
            tool = step.tool if self.tools is None or step.tool in self.tools else UNKNOWN_TOOL
            self.steps.labels(tool=tool, status=step.status.value).inc()
            if step.status is StepStatus.SKIPPED:
                continue
            self.step_duration.labels(tool=tool).observe(step.duration_ms / 1000)
            if step.status is StepStatus.TIMEOUT and step.error and step.error.kind == "timeout":
                self.timeouts.labels(scope="step").inc()
        meta = run.planner
        planned = run.plan is not None or (
            run.error is not None and run.error.kind == "planner_error"
        )
        if meta is None or not planned:
            return  # timed out or cancelled while planning: there is no latency to report
        self.planner_latency.labels(planner=planner).observe(meta.latency_ms / 1000)
        asked = "yes" if meta.model_calls > 0 else "no"
        self.model_asked.labels(planner=planner, model_asked=asked).inc()
        if meta.tokens_in:
            self.llm_tokens.labels(planner=planner, direction="in").inc(meta.tokens_in)
        if meta.tokens_out:
            self.llm_tokens.labels(planner=planner, direction="out").inc(meta.tokens_out)
        if meta.fallback is not None:
            self.fallbacks.labels(reason=meta.fallback.reason.value).inc()

    # Reading.

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)

    def summary(self) -> MetricsSummary:
        """A JSON-friendly digest: success rates, per-tool and per-planner usage."""
        runs = _samples(self.runs, "_total", "planner", "status")
        by_status: dict[str, int] = defaultdict(int)
        for (_, status), value in runs.items():
            by_status[status] += int(value)
        total = sum(by_status.values())
        steps = _samples(self.steps, "_total", "tool", "status")
        step_sum, step_count = (
            _samples(self.step_duration, "_sum", "tool"),
            _samples(self.step_duration, "_count", "tool"),
        )
        retries = _samples(self.retries, "_total", "tool")
        tools: dict[str, ToolUsage] = {}
        for tool in sorted({key[0] for key in steps}):
            statuses = {status: int(v) for (t, status), v in steps.items() if t == tool}
            executed = sum(n for s, n in statuses.items() if s != StepStatus.SKIPPED.value)
            count = step_count.get((tool,), 0.0)
            tools[tool] = ToolUsage(
                steps=sum(statuses.values()),
                by_status=statuses,
                success_rate=_ratio(statuses.get(StepStatus.COMPLETED.value, 0), executed),
                avg_duration_ms=_ratio(step_sum.get((tool,), 0.0) * 1000, count),
                retries=int(retries.get((tool,), 0)),
            )
        return MetricsSummary(
            runs_total=total,
            runs_by_status=dict(by_status),
            success_rate=_ratio(by_status.get("completed", 0), total),
            runs_in_flight=int(sum(_samples(self.in_flight, "").values())),
            runs_rejected=int(sum(_samples(self.rejected, "_total", "reason").values())),
            tools=tools,
            planners=self._planner_usage(runs),
            fallbacks={
                k[0]: int(v) for k, v in _samples(self.fallbacks, "_total", "reason").items()
            },
            retries=int(sum(retries.values())),
            timeouts={k[0]: int(v) for k, v in _samples(self.timeouts, "_total", "scope").items()},
        )

    def _planner_usage(self, runs: Samples) -> dict[str, PlannerUsage]:
        lat_sum = _samples(self.planner_latency, "_sum", "planner")
        lat_count = _samples(self.planner_latency, "_count", "planner")
        dur_sum = _samples(self.run_duration, "_sum", "planner")
        dur_count = _samples(self.run_duration, "_count", "planner")
        tokens = _samples(self.llm_tokens, "_total", "planner", "direction")
        usage: dict[str, PlannerUsage] = {}
        for planner in sorted({key[0] for key in runs}):
            usage[planner] = PlannerUsage(
                runs=int(sum(v for (p, _), v in runs.items() if p == planner)),
                avg_latency_ms=_ratio(
                    lat_sum.get((planner,), 0.0) * 1000, lat_count.get((planner,), 0.0)
                ),
                avg_run_duration_ms=_ratio(
                    dur_sum.get((planner,), 0.0) * 1000, dur_count.get((planner,), 0.0)
                ),
                tokens_in=int(tokens.get((planner, "in"), 0)),
                tokens_out=int(tokens.get((planner, "out"), 0)),
            )
        return usage


def _samples(metric: MetricWrapperBase, suffix: str, *labels: str) -> Samples:
    """Values of the samples named `<metric><suffix>`, keyed by the values of `labels`."""
    found: Samples = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name == family.name + suffix:
                found[tuple(sample.labels[name] for name in labels)] = sample.value
    return found


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
