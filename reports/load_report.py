"""Build the report of a load run: `load_report.html`, `summary.md` and `junit.xml`.

The HTML is not called `report.html`: locust writes its own report under that name into
the same directory, and it is worth keeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from crane_bench.load.summary import LoadSummary
from crane_bench.plumbing.gates import GateCheck
from crane_bench.reports.ci_outputs import junit_xml, md, md_code, md_gates, md_table
from crane_bench.reports.load_frames import LoadRun, read_load_run
from crane_bench.reports.load_quality import QualityPage
from crane_bench.reports.load_view import LoadPage, load_page
from crane_bench.reports.meta import ReportFiles
from crane_bench.reports.render import crane_version, render, write_report_files

HTML_FILE: Final = "load_report.html"
SECTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("summary", "Requests"),
    ("quality", "Accuracy under load"),
    ("slo", "SLO checks"),
    ("charts", "Charts"),
    ("failures-section", "Failures"),
    ("server", "Server side"),
    ("metadata", "Metadata"),
)
MD_COLUMNS: Final = (0, 1, 2, 4, 5, 6)
"""Columns repeated in summary.md: requests, req/s, failures, p50, p95, p99."""


def load_gate_results(summary: LoadSummary) -> list[GateCheck]:
    """The SLO checks as CI gates."""
    return summary.gates.checks


def load_markdown(run: LoadRun, page: LoadPage, html: Path) -> str:
    """`summary.md`: verdict, requests by type, SLO checks, server counts, CPU."""
    icon = "✅" if page.verdict.passed else "❌"
    facts = " · ".join(f"{f.label.lower()} {md(f.value)}" for f in page.facts)
    parts = [f"### {icon} Load {md_code(run.summary.run_id)}: {md(page.verdict.text)}", facts, ""]
    header = ["Type", *(page.columns[i].label for i in MD_COLUMNS)]
    rows = [
        [
            md(row.head),
            *(
                md(row.cells[i].text + (f" ({row.cells[i].sub})" if row.cells[i].sub else ""))
                for i in MD_COLUMNS
            ),
        ]
        for row in page.by_type
    ]
    parts += [md_table(header, rows, numeric=set(range(1, len(header)))), ""]
    if page.quality is not None:
        parts += [quality_markdown(page.quality), ""]
    parts.append(md_gates(load_gate_results(run.summary)))
    for section in page.server:
        listed = "; ".join(f"{f.label.lower()} {f.value}" for f in section.facts)
        parts.append(f"\n**{md(section.title)}**: {md(listed)}")
    parts += [f"\nReport: {md_code(str(html))}", *(f"\n> {md(note)}" for note in page.notes)]
    return "\n".join(parts) + "\n"


def quality_markdown(quality: QualityPage) -> str:
    """Accuracy under load per planner and step, and the verdicts, for `summary.md`."""
    parts = []
    for planner in quality.planners:
        header = ["Step", *(c.label for c in quality.columns)]
        rows = [
            [md(row.head), *(md(c.text + (f" ({c.sub})" if c.sub else "")) for c in row.cells)]
            for row in planner.rows
        ]
        parts += [f"**Accuracy under load: {md(planner.label)}**", ""]
        parts += [md_table(header, rows, numeric=set(range(1, len(header)))), ""]
        parts += [f"- {md(verdict)}" for verdict in planner.verdicts]
    return "\n".join(parts)


def build_load_report(run_dir: Path) -> ReportFiles:
    """Read a load run directory and write its report files into it.

    Raises:
        ReportError: The summary or the history is unreadable or malformed.
    """
    run = read_load_run(run_dir)
    page = load_page(run)
    sections = [s for s in SECTIONS if s[0] != "quality" or page.quality is not None]
    html = render(
        "load.html.j2", page=page, kind="load", sections=sections, version=crane_version()
    )
    summary = run.summary
    junit = junit_xml(
        f"crane-bench load {summary.run_id}",
        "crane_bench.load.slo",
        load_gate_results(summary),
        timestamp=summary.started_at,
        seconds=(summary.finished_at - summary.started_at).total_seconds(),
    )
    return write_report_files(
        run_dir, HTML_FILE, html, lambda path: load_markdown(run, page, path), junit
    )
