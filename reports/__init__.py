"""HTML reports of run directories, with `summary.md` and `junit.xml` for CI.

`build_report(run_dir)` tells an eval run from a load run and writes its report into the
directory; `build_history(runs_dir)` writes the trend page over every run in a directory.
Reports read run directories (files), never live objects; templates only lay out data
prepared in Python (`eval_view`, `load_view`, `history`).
"""

from crane_bench.reports.build import RunKind, build_report, build_report_files, run_kind
from crane_bench.reports.errors import (
    NotARunDirError,
    ReportError,
    RunDataError,
    RunIncompleteError,
)
from crane_bench.reports.eval_report import build_eval_report
from crane_bench.reports.frames import EvalFrames, read_eval_frames
from crane_bench.reports.history import build_history
from crane_bench.reports.history_data import History, read_history
from crane_bench.reports.load_frames import LoadRun, read_load_run
from crane_bench.reports.load_report import build_load_report
from crane_bench.reports.meta import ReportFiles

__all__ = [
    "EvalFrames",
    "History",
    "LoadRun",
    "NotARunDirError",
    "ReportError",
    "ReportFiles",
    "RunDataError",
    "RunIncompleteError",
    "RunKind",
    "build_eval_report",
    "build_history",
    "build_load_report",
    "build_report",
    "build_report_files",
    "read_eval_frames",
    "read_history",
    "read_load_run",
    "run_kind",
]
