"""The load report's page data: every number formatted and every sentence written in Python."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Final

from crane_bench.load.stats import HTTP, LatencyStats
from crane_bench.load.summary import CpuReport, LoadSummary
from crane_bench.reports.charts import Chart
from crane_bench.reports.formatting import Cell, count, duration, pct, sig, timestamp, verdict_text
from crane_bench.reports.load_charts import load_charts
from crane_bench.reports.load_frames import LoadRun
from crane_bench.reports.load_quality import QualityPage, quality_page
from crane_bench.reports.load_quality_charts import quality_charts
from crane_bench.reports.meta import Column, Fact, GateLine, Row, Section, Verdict, gate_lines

SATURATED: Final = 0.8
"""Cores per generator process above which the generator may be the bottleneck."""
LATENCY_COLUMNS: Final = [
    Column("Requests"),
    Column("Req/s"),
    Column("Failures", "failed / all"),
    Column("Mean ms"),
    Column("p50 ms"),
    Column("p95 ms"),
    Column("p99 ms"),
    Column("Max ms"),
]


@dataclass(frozen=True)
class FailureLine:
    """One row of locust's failure table."""

    request_type: str
    name: str
    error: str
    occurrences: str


@dataclass(frozen=True)
class LoadPage:
    """Everything the load template shows."""

    title: str
    verdict: Verdict
    facts: list[Fact]
    notes: list[str]
    columns: list[Column]
    by_type: list[Row]
    endpoints: list[Row]
    gates: list[GateLine]
    charts: list[Chart]
    chart_notes: list[str]
    failures: list[FailureLine]
    server: list[Section]
    metadata: list[Section]
    quality: QualityPage | None = None
    """Accuracy under load, for the `gold` scenario."""
    quality_charts: list[Chart] = field(default_factory=list)
    quality_chart_notes: list[str] = field(default_factory=list)


def latency_cells(stats: LatencyStats) -> list[Cell]:
    """Requests, rate, failures and latency of a group of requests."""
    failed = Cell("0")
    if stats.failures:
        failed = Cell(count(stats.failures), sub=pct(stats.fail_ratio, 2), tone="bad")
    # Percentiles come from histograms that keep two significant digits; print no more.
    return [
        Cell(count(stats.requests)),
        Cell(sig(stats.requests_per_s)),
        failed,
        Cell(sig(stats.mean_ms)),
        Cell(sig(stats.p50_ms, 2)),
        Cell(sig(stats.p95_ms, 2)),
        Cell(sig(stats.p99_ms, 2)),
        Cell(sig(stats.max_ms)),
    ]


def _cpu_note(cpu: CpuReport) -> str | None:
    per_process = cpu.cores_used / max(cpu.processes, 1)
    if per_process < SATURATED:
        return None
    return (
        f"The load generator used {cpu.cores_used:.2f} cores over {cpu.processes} process(es): "
        "it may have limited the throughput, not the service. Try --processes N."
    )


def _verdict(summary: LoadSummary) -> Verdict:
    failed = len(summary.gates.failures)
    ran = [c for c in summary.gates.checks if not c.skipped]
    return Verdict(failed == 0, verdict_text(failed, len(ran), "SLO check"))


def _facts(summary: LoadSummary) -> list[Fact]:
    config = summary.config
    return [
        Fact("Started", timestamp(summary.started_at, seconds=False)),
        Fact("Ran", duration(summary.requests.duration_s)),
        Fact("Scenario", config.scenario),
        Fact("Shape", config.shape),
        Fact("Peak users", count(summary.peak_users)),
        Fact(
            "Planners" if len(config.planners) > 1 else "Planner",
            ", ".join(config.planners) or "service default",
        ),
        Fact("HTTP req/s", sig(summary.requests.http.requests_per_s)),
    ]


def _cpu_fact(name: str, cpu: CpuReport | None) -> Fact:
    if cpu is None:
        return Fact(name, "not measured (--host)")
    return Fact(
        name,
        f"{cpu.cores_used:.2f} cores ({pct(cpu.share, 0)} of {cpu.cores})",
        f"{sig(cpu.cpu_s)} CPU s over {sig(cpu.wall_s)} s, {cpu.processes} process(es)",
    )


def _server(summary: LoadSummary) -> list[Section]:
    cpu = Section(
        "CPU",
        [
            _cpu_fact("Load generator", summary.generator_cpu),
            _cpu_fact("Service", summary.service_cpu),
        ],
    )
    server = summary.server
    if server is None:
        return [Section("Service counts", [Fact("Unavailable", summary.server_error or "")]), cpu]

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {count(v)}" for k, v in counts.items()) or "none"

    facts = [
        Fact("Runs by status", listed(server.runs_by_status)),
        Fact("Runs by planner", listed(server.runs_by_planner)),
        Fact("Step retries", count(server.step_retries)),
        Fact("Fallbacks", listed(server.fallbacks)),
        Fact("Rejected", listed(server.rejected)),
        Fact("Timeouts", listed(server.timeouts)),
        Fact("In flight after", count(server.runs_in_flight_after)),
    ]
    return [Section("Service counts (from /metrics)", facts), cpu]


def _metadata(run: LoadRun) -> list[Section]:
    s = run.summary
    config = [
        Fact(name, "none" if value is None else str(value))
        for name, value in s.config.model_dump().items()
    ]
    rate = s.rate
    run_facts = [
        Fact("Run", s.run_id),
        Fact("Started", timestamp(s.started_at)),
        Fact("Finished", timestamp(s.finished_at)),
        Fact("Host", s.host),
        Fact("Locust exit code", str(s.locust_exit_code)),
        Fact("Interrupted", "yes" if s.interrupted else "no"),
        Fact("Arrivals", f"{count(rate.arrivals)} ({sig(rate.achieved_per_s)}/s)"),
        Fact(
            "Target rate",
            "closed workload" if rate.target_per_s is None else sig(rate.target_per_s),
        ),
    ]
    if rate.ratio is not None:
        run_facts.append(Fact("Achieved / expected", pct(rate.ratio)))
    files = [Fact(role, name) for role, name in s.files.items()]
    command = [Fact("locust", shlex.join(s.locust_command))]
    return [
        Section("Run", run_facts),
        Section("Configuration", config, mono=True),
        Section("Files", files, mono=True),
        Section("Command", command, mono=True, wide=True),
    ]


def load_page(run: LoadRun) -> LoadPage:
    """Prepare everything the load report shows."""
    s = run.summary
    by_type = [Row(kind, latency_cells(stats)) for kind, stats in s.requests.by_type.items()]
    by_type += [
        Row(f"RUN, {label}", latency_cells(stats))
        for label, stats in s.requests.run_by_planner.items()
    ]
    by_type.append(Row(f"all {HTTP}", latency_cells(s.requests.http)))
    endpoints = [Row(f"{e.request_type} {e.name}", latency_cells(e)) for e in s.requests.endpoints]
    charts, chart_notes = load_charts(s, run.history)
    notes = list(run.notes)
    cpu_note = _cpu_note(s.generator_cpu)
    if cpu_note:
        notes.append(cpu_note)
    q_charts, q_notes = (
        quality_charts(run.quality.report, run.quality.runs) if run.quality else ([], [])
    )
    return LoadPage(
        title=f"Load run {s.run_id}",
        verdict=_verdict(s),
        facts=_facts(s),
        notes=notes,
        columns=LATENCY_COLUMNS,
        by_type=by_type,
        endpoints=endpoints,
        gates=gate_lines(s.gates.checks),
        charts=charts,
        chart_notes=chart_notes,
        failures=[
            FailureLine(f.request_type, f.name, f.error, count(f.occurrences))
            for f in s.requests.failures
        ],
        server=_server(s),
        metadata=_metadata(run),
        quality=quality_page(run.quality) if run.quality else None,
        quality_charts=q_charts,
        quality_chart_notes=q_notes,
    )
