"""Build the report of an eval run: `report.html`, `summary.md` and `junit.xml` in its directory."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.plumbing.gates import GateCheck
from crane_bench.reports.ci_outputs import (
    junit_xml,
    md,
    md_code,
    md_gates,
    md_table,
)
from crane_bench.reports.eval_view import EvalPage, eval_page
from crane_bench.reports.formatting import MISSING
from crane_bench.reports.frames import EvalFrames, read_eval_frames
from crane_bench.reports.meta import ReportFiles
from crane_bench.reports.render import crane_version, render, write_report_files

HTML_FILE: Final = "report.html"
SECTIONS: Final = (
    ("summary", "Planners"),
    ("comparisons", "Comparisons"),
    ("gates", "Gates"),
    ("robustness", "Robustness"),
    ("charts", "Charts"),
    ("failures-section", "Failing cases"),
    ("metadata", "Metadata"),
)
COMPLETE_CHECK: Final = "all trials ran"


def eval_gate_results(summary: EvalSummary) -> list[GateCheck]:
    """The run's gate checks, and whether every expected trial ran (the CLI fails without)."""
    complete = summary.trials >= summary.expected_trials
    ran = f"{summary.trials:,} of {summary.expected_trials:,} trials ran"
    message = f"{'PASS' if complete else 'FAIL'} {ran}"
    status = "pass" if complete else "fail"
    return [*summary.gates.checks, GateCheck(name=COMPLETE_CHECK, status=status, message=message)]


def eval_markdown(run: EvalFrames, page: EvalPage, html: Path) -> str:
    """`summary.md`: the verdict, the headline numbers, comparisons, gates, failures."""
    icon = "✅" if page.verdict.passed else "❌"
    facts = " · ".join(f"{f.label.lower()} {md(f.value)}" for f in page.facts)
    parts = [f"### {icon} Eval {md_code(run.summary.run_id)}: {md(page.verdict.text)}", facts, ""]
    header = ["Planner", *(column.label for column in page.brief_columns)]
    rows = [
        [
            md(row.head),
            *(md(cell.text + (f" ({cell.sub})" if cell.sub else "")) for cell in row.cells),
        ]
        for row in page.brief_planners
    ]
    parts.append(md_table(header, rows, numeric=set(range(1, len(header)))))
    parts.append("\nRates with their 95% interval (clustered by case); latency in ms.\n")
    if page.comparisons:
        parts.append("**Paired comparisons** (by case, exact McNemar)")
        parts += [f"- {md(c.headline)}: {md(c.detail)}" for c in page.comparisons]
        parts.append("")
    robustness = page.robustness
    if robustness is not None and (robustness.lines or robustness.false_actions):
        parts.append("**Robustness** (variants paired with their originals, exact McNemar)")
        parts += [f"- out of domain: {md(text)}" for text in robustness.false_actions]
        parts += [
            f"- {md(line.planner)} · {md(line.perturbation)}: flip rate {md(line.flip_rate)}; "
            f"{md(line.verdict)}"
            for line in robustness.lines
        ]
        parts.append("")
    if page.sequential is not None:
        parts.append(f"**Sequential gates**: {md(page.sequential.sentence)}\n")
        parts += [
            f"- {md(row.name)}: {md(row.status)}"
            + (f" after {md(row.decided_after)} cases" if row.decided_after != MISSING else "")
            + (
                f", bounds {md(row.bounds)} (needs {md(row.target)})"
                if row.bounds != MISSING
                else ""
            )
            for row in page.sequential.rows
        ]
        parts.append("")
    parts.append(md_gates(eval_gate_results(run.summary), run.summary.gate_notes()))
    outcomes = run.failures.groupby(["planner", "outcome"]).size().reset_index(name="n")
    if len(outcomes):
        listed = ", ".join(
            f"{row['planner']} {row['outcome']} {row['n']}" for row in outcomes.to_dict("records")
        )
        parts.append(f"\n**Failing trials**: {md(listed)}")
    parts += [f"\nReport: {md_code(str(html))}", *(f"\n> {md(note)}" for note in page.notes)]
    return "\n".join(parts) + "\n"


def build_eval_report(run_dir: Path, metrics: MetricRegistry = DEFAULT_METRICS) -> ReportFiles:
    """Read an eval run directory and write its report files into it.

    The planners table has a column per metric `metrics` shows.

    Raises:
        ReportError: The run has no summary (it did not finish), or a file is malformed.
    """
    run = read_eval_frames(run_dir)
    page = eval_page(run, metrics)
    html = render(
        "eval.html.j2", page=page, kind="eval", sections=SECTIONS, version=crane_version()
    )
    summary = run.summary
    junit = junit_xml(
        f"crane-bench eval {summary.run_id}",
        "crane_bench.eval.gates",
        eval_gate_results(summary),
        timestamp=summary.started_at,
        seconds=(summary.finished_at - summary.started_at).total_seconds(),
    )
    return write_report_files(
        run_dir, HTML_FILE, html, lambda path: eval_markdown(run, page, path), junit
    )
