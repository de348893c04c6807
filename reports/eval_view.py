"""The eval report's page data: every number formatted, every sentence written, in Python.

`eval_page` turns an `EvalFrames` (`reports.frames`) into an `EvalPage`; the template
only lays it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final

from crane_bench.evals.comparison import Comparison
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.run_config import SpecRecord
from crane_bench.evals.run_dir import EndpointInfo
from crane_bench.reports.charts import Chart
from crane_bench.reports.eval_charts import eval_charts
from crane_bench.reports.failures_view import FailureTable, failure_table
from crane_bench.reports.formatting import count, duration, p_value, timestamp, verdict_text
from crane_bench.reports.frames import EvalFrames
from crane_bench.reports.meta import Column, Fact, GateLine, Row, Section, Verdict, gate_lines
from crane_bench.reports.metric_table import metric_columns, metric_rows
from crane_bench.reports.robustness_view import RobustnessSection, robustness_section
from crane_bench.reports.sequential_view import SequentialSection, sequential_section
from crane_bench.reports.transcripts_view import TranscriptSet, transcript_set

METRIC_WORDS: Final = {
    "plan_correct": "plan accuracy",
    "end_to_end_correct": "end-to-end accuracy",
    "tool_correct": "tool accuracy",
    "args_correct": "argument accuracy",
    "step_count_correct": "step count accuracy",
    "valid_plan": "valid plan rate",
}


@dataclass(frozen=True)
class ComparisonLine:
    """A paired comparison in words."""

    headline: str
    detail: str
    significant: bool


@dataclass(frozen=True)
class EvalPage:
    """Everything the eval template shows."""

    title: str
    verdict: Verdict
    facts: list[Fact]
    notes: list[str]
    columns: list[Column]
    planners: list[Row]
    comparisons: list[ComparisonLine]
    gates: list[GateLine]
    charts: list[Chart]
    chart_notes: list[str]
    failures: FailureTable
    metadata: list[Section] = field(default_factory=list)
    robustness: RobustnessSection | None = None
    transcripts: TranscriptSet = field(default_factory=lambda: TranscriptSet(available=False))
    run_dir: str = ""
    """The run directory, for the `crane-bench show` hint of a transcript not embedded."""
    brief_columns: list[Column] = field(default_factory=list)
    """The brief metrics' columns (`summary.md`)."""
    brief_planners: list[Row] = field(default_factory=list)
    sequential: SequentialSection | None = None
    """How `--stop-when-decided` stopped the run; None for a run of every case."""


def comparison_line(c: Comparison) -> ComparisonLine:
    """`hybrid is better than pattern on plan accuracy` and the counts behind it."""
    words = METRIC_WORDS.get(c.metric, c.metric)
    if c.winner:
        loser = c.planner_b if c.winner == c.planner_a else c.planner_a
        headline = f"{c.winner} is better than {loser} on {words}"
    else:
        headline = f"No significant difference between {c.planner_a} and {c.planner_b} on {words}"
    detail = (
        f"{c.a_only} cases only {c.planner_a} got right, {c.b_only} only {c.planner_b}, "
        f"of {count(c.n_pairs)} paired cases; exact McNemar {p_value(c.p_value)} "
        f"(α = {c.alpha:g}). {c.detectable[:1].upper()}{c.detectable[1:]}."
    )
    return ComparisonLine(headline, detail, c.winner is not None)


def eval_verdict(run: EvalFrames) -> Verdict:
    """Passed when every gate that ran passed and every expected trial ran."""
    summary = run.summary
    failed = len(summary.gates.failures)
    ran = [c for c in summary.gates.checks if not c.skipped]
    complete = summary.trials >= summary.expected_trials
    if complete or failed:
        text = verdict_text(failed, len(ran), "gate")
    else:
        text = f"incomplete: {count(summary.trials)} of {count(summary.expected_trials)} trials"
    return Verdict(passed=failed == 0 and complete, text=text)


def _facts(run: EvalFrames) -> list[Fact]:
    s = run.summary
    repeats = max((m.repeats for m in s.planners.values()), default=1)
    return [
        Fact("Started", timestamp(s.started_at, seconds=False)),
        Fact("Took", duration((s.finished_at - s.started_at).total_seconds())),
        Fact("Git", (s.git_sha or "unknown")[:10]),
        Fact("Planners", ", ".join(s.planners) or "none"),
        Fact("Trials", count(s.trials)),
        Fact("Repeats", str(repeats)),
    ]


def _notes(run: EvalFrames) -> list[str]:
    s = run.summary
    notes = list(run.cases.notes)
    if s.trials < s.expected_trials:
        notes.append(f"Only {count(s.trials)} of {count(s.expected_trials)} trials ran.")
    if run.skipped_lines:
        notes.append(f"results.jsonl line {run.skipped_lines[0]} was torn and is left out.")
    if s.cached_trials:
        notes.append(
            f"{count(s.cached_trials)} trials answered from the response cache: "
            "their latencies are the cache's, not the model's, and are left out."
        )
    if s.latency_measurement is not None:
        notes.append(f"How latency was measured: {s.latency_measurement.description}")
    return notes


def _json_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _metadata(run: EvalFrames) -> list[Section]:
    s, args = run.summary, run.summary.spec.args
    models = run.trials.dropna(subset=["model"]).groupby("planner")["model"].unique()
    planners = [
        Fact(p, ", ".join(sorted(str(m) for m in models.get(p, []))) or "no model")
        for p in (args.planners if not args.planner_specs else [])
    ]
    planners += [
        _spec_fact(record, s.environment.endpoints.get(record.label))
        for record in args.planner_specs
    ]
    endpoint = s.environment.endpoint if not args.planner_specs else None
    run_facts = [
        Fact("Run", s.run_id),
        Fact("Command", s.spec.name),
        Fact("Started", timestamp(s.started_at)),
        Fact("Finished", timestamp(s.finished_at)),
        Fact("Git SHA", s.git_sha or "unknown"),
        Fact("Repeats", str(args.repeats)),
        Fact("Concurrency", str(args.concurrency)),
        Fact("Case timeout", f"{args.case_timeout_s:g} s"),
        Fact("Response cache", "on" if args.cache else "off"),
        Fact("Gates file", args.gates),
        Fact("Baseline", args.baseline or "none"),
    ]
    if endpoint is not None:
        where = "started by the run" if endpoint.local else "reached by URL"
        run_facts.append(
            Fact(
                "Model endpoint",
                f"{endpoint.model} at {endpoint.base_url} ({endpoint.server}, {where}"
                + (f"; llm planner {endpoint.llm_mode})" if endpoint.llm_mode else ")"),
            )
        )
    status = {f.path: f.status for f in run.cases.files}
    cases = [Fact(ref.path, ref.sha256, status.get(ref.path, "")) for ref in args.case_files]
    env = [Fact("Python", s.environment.python), Fact("Platform", s.environment.platform)]
    env += [Fact(k, v or "not installed") for k, v in s.environment.packages.items()]
    settings = [Fact(k, _json_text(v)) for k, v in sorted(args.settings.items())]
    return [
        Section("Run", run_facts),
        Section("Planners and models", planners),
        Section("Case files (sha256)", cases, mono=True, wide=True),
        Section("Settings", settings, mono=True),
        Section("Environment", env),
    ]


def _spec_fact(record: SpecRecord, endpoint: EndpointInfo | None) -> Fact:
    """A label's row of the metadata: its spec, its model and where it was served."""
    text = record.spec if record.spec != record.label else record.planner
    if endpoint is not None:
        where = "started by the run" if endpoint.local else "reached by URL"
        text += f"; {endpoint.model} at {endpoint.base_url} ({endpoint.server}, {where}"
        text += f"; llm planner {endpoint.llm_mode})" if endpoint.llm_mode else ")"
    if record.model_file:
        text += f"; {record.model_file} sha256 {record.model_sha256}"
    return Fact(record.label, text)


def eval_page(run: EvalFrames, metrics: MetricRegistry = DEFAULT_METRICS) -> EvalPage:
    """Prepare everything the eval report shows; its metric columns are `metrics`'."""
    summary = run.summary
    charts, chart_notes = eval_charts(summary, run.trials)
    failures = failure_table(run.failures, run.trials)
    columns = metric_columns(metrics, "report")
    brief = metric_columns(metrics, "brief")
    return EvalPage(
        title=f"Eval run {summary.run_id}",
        verdict=eval_verdict(run),
        facts=_facts(run),
        notes=_notes(run),
        columns=[c.column for c in columns],
        planners=metric_rows(summary.planners, columns),
        comparisons=[comparison_line(c) for c in summary.comparisons],
        gates=gate_lines(summary.gates.checks, summary.gate_notes()),
        charts=charts,
        chart_notes=chart_notes,
        failures=failures,
        metadata=_metadata(run),
        robustness=robustness_section(summary),
        transcripts=transcript_set(
            run.run,
            [(row.planner, row.case_id, row.repeat) for row in failures.rows],
            _trial_keys(run),
        ),
        run_dir=str(run.path),
        brief_columns=[c.column for c in brief],
        brief_planners=metric_rows(summary.planners, brief),
        sequential=sequential_section(summary),
    )


def _trial_keys(run: EvalFrames) -> list[tuple[str, str, int]]:
    frame = run.trials
    if frame.empty:
        return []
    return [
        (str(p), str(c), int(r))
        for p, c, r in zip(frame["planner"], frame["case_id"], frame["repeat"], strict=True)
    ]
