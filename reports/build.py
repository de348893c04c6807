"""Build the report of any run directory: tell an eval run from a load run, then build it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from crane_bench.plumbing.run_files import LOAD_SUMMARY_FILE, RESULTS_FILE, SPEC_FILE, SUMMARY_FILE
from crane_bench.reports.errors import NotARunDirError
from crane_bench.reports.eval_report import build_eval_report
from crane_bench.reports.load_report import build_load_report
from crane_bench.reports.meta import ReportFiles

RunKind = Literal["eval", "load"]


def run_kind(run_dir: Path) -> RunKind:
    """`load` when the directory has `load_summary.json`, `eval` when it has an eval run.

    An eval run is recognised by its summary, or (unfinished) by its spec or results, so
    that building its report can say that the run did not finish.

    Raises:
        NotARunDirError: Not a directory, or neither kind of run.
    """
    if not run_dir.is_dir():
        raise NotARunDirError(f"{run_dir}: not a directory")
    if (run_dir / LOAD_SUMMARY_FILE).is_file():
        return "load"
    if any((run_dir / name).is_file() for name in (SUMMARY_FILE, RESULTS_FILE, SPEC_FILE)):
        return "eval"
    raise NotARunDirError(
        f"{run_dir}: not a run directory (no {SUMMARY_FILE} of an eval run, "
        f"no {LOAD_SUMMARY_FILE} of a load run)"
    )


def build_report_files(run_dir: Path) -> ReportFiles:
    """(Re)build the HTML report, `summary.md` and `junit.xml` of a run directory.

    Raises:
        ReportError: Not a run directory, an unfinished eval run, or a malformed file.
    """
    if run_kind(run_dir) == "load":
        return build_load_report(run_dir)
    return build_eval_report(run_dir)


def build_report(run_dir: Path) -> Path:
    """(Re)build the report of a run directory of either kind; returns the HTML's path.

    Writes `report.html` (eval) or `load_report.html` (load), with `summary.md` and
    `junit.xml`, into `run_dir`.

    Raises:
        ReportError: Not a run directory, an unfinished eval run, or a malformed file.
    """
    return build_report_files(run_dir).html
