"""A load run directory read into its summary and a per-second history DataFrame.

`load_summary.json` (`load.summary.LoadSummary`) holds the totals, the SLO checks and the
server's counts; `history.csv` (`load.history`) one row per second and request type. A
run without a history (locust died early, an older run) still gets a report, with a note
where the time series would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pandas as pd
from pydantic import ValidationError

from crane_bench.load.history import COLUMNS, read_history
from crane_bench.load.summary import HISTORY_FILE, SUMMARY_FILE, LoadSummary
from crane_bench.plumbing.validation import first_problem
from crane_bench.reports.errors import RunDataError
from crane_bench.reports.load_quality import QualityData, read_quality

HISTORY_DTYPES: Final[dict[str, str]] = {
    "t": "int64",
    "timestamp": "int64",
    "users": "int64",
    "arrivals": "int64",
    "request_type": "str",
    "requests": "int64",
    "failures": "int64",
    "p50_ms": "float64",
    "p95_ms": "float64",
    "p99_ms": "float64",
}


@dataclass(frozen=True)
class LoadRun:
    """Everything the load report shows, read from one run directory."""

    path: Path
    summary: LoadSummary
    history: pd.DataFrame
    """One row per second and request type (`HTTP` is every HTTP request together)."""
    notes: list[str] = field(default_factory=list)
    quality: QualityData | None = None
    """Accuracy under load (the `gold` scenario)."""


def empty_history() -> pd.DataFrame:
    """A history frame with no rows and the right columns."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in HISTORY_DTYPES.items()})


def read_load_summary(run_dir: Path) -> LoadSummary:
    """Read and validate `load_summary.json`.

    Raises:
        RunDataError: Missing, unreadable, or not a `LoadSummary`.
    """
    path = run_dir / SUMMARY_FILE
    try:
        return LoadSummary.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise RunDataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValidationError as exc:
        raise RunDataError(f"{path}: not a load summary: {first_problem(exc)}") from None


def read_history_frame(path: Path) -> pd.DataFrame:
    """Read `history.csv` into a frame with `HISTORY_DTYPES` (blank percentiles are NaN).

    Raises:
        RunDataError: The file is unreadable or a row does not fit `load.history.HistoryRow`.
    """
    try:
        rows = read_history(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise RunDataError(f"{path}: cannot read: {exc}") from None
    except ValidationError as exc:
        problem = first_problem(exc, top="row")
        raise RunDataError(f"{path}: not a load history: {problem}") from None
    if not rows:
        return empty_history()
    frame = pd.DataFrame.from_records([row.model_dump() for row in rows], columns=list(COLUMNS))
    return frame.astype(HISTORY_DTYPES)


def read_load_run(run_dir: Path) -> LoadRun:
    """Read a load run directory.

    Raises:
        RunDataError: The summary or the history is unreadable or malformed.
    """
    summary = read_load_summary(run_dir)
    notes: list[str] = []
    history_path = run_dir / summary.files.get("history", HISTORY_FILE)
    if history_path.is_file():
        history = read_history_frame(history_path)
    else:
        history = empty_history()
        notes.append(f"no {history_path.name}: the charts over time are left out")
    if summary.interrupted:
        notes.append("the run was stopped early (Ctrl-C): the numbers cover what ran")
    if summary.server is None:
        why = summary.server_error or "the service was not scraped"
        notes.append(f"no server-side counts: {why}")
    return LoadRun(run_dir, summary, history, notes, read_quality(run_dir, summary))
