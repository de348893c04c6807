"""The outputs of a load run: the locust process's result and the run's `load_summary.json`.

Layout of a run directory (`runs/load-<UTC timestamp>-<6 hex>/`):

- `load_summary.json`: `LoadSummary`, the one file reports and baselines read.
- `locust_result.json`: `LoadResult`, written by the locust process's `quitting`
  listener (stats, arrival rate, gate results); the summary embeds it.
- `history.csv`: one row per second and request type (`load.history.COLUMNS`).
- `quality.jsonl` (the `gold` scenario): one `load.quality.QualityRow` per scored run;
  `unloaded.jsonl`: the eval rows (`evals.results.TrialResult`) it was compared with.
- `stats.json`, `report.html`: locust's own JSON stats and HTML report.
- `locust.log`, `service.log`: output of locust and of the service this run started.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from crane_bench.load.config import LoadConfig
from crane_bench.load.errors import LoadConfigError, ResultError
from crane_bench.load.quality_models import QualityReport
from crane_bench.load.server_metrics import ServerCounts
from crane_bench.load.stats import RateReport, RequestStats
from crane_bench.plumbing.gates import GateReport
from crane_bench.plumbing.run_files import DEFAULT_RUNS_DIR, LOAD_SUMMARY_FILE, run_stamp
from crane_bench.plumbing.validation import first_problem

SUMMARY_VERSION: Final = 1
RESULT_VERSION: Final = 1
SUMMARY_FILE: Final = LOAD_SUMMARY_FILE
RESULT_FILE: Final = "locust_result.json"
HISTORY_FILE: Final = "history.csv"
QUALITY_FILE: Final = "quality.jsonl"
UNLOADED_FILE: Final = "unloaded.jsonl"
STATS_PREFIX: Final = "stats"  # locust's --json-file appends .json
REPORT_FILE: Final = "report.html"
LOCUST_LOG: Final = "locust.log"
SERVICE_LOG: Final = "service.log"

M = TypeVar("M", "LoadResult", "LoadSummary")


class LoadResult(BaseModel):
    """What the locust process measured and decided, written when it quits."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: int = RESULT_VERSION
    scenario: str
    started_at: datetime
    ended_at: datetime
    peak_users: int
    unfinished_runs: int = 0
    """Runs submitted but still in flight when the test stopped their users."""
    requests: RequestStats
    rate: RateReport
    gates: GateReport
    quality: QualityReport | None = None
    """Accuracy under load (the `gold` scenario)."""


class CpuReport(BaseModel):
    """CPU used by a process tree while the load ran."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    cpu_s: float
    """User plus system seconds of the process and its children."""
    wall_s: float
    cores_used: float
    """cpu_s / wall_s: 1.0 is one core busy the whole time."""
    share: float
    """cores_used / cores of the machine."""
    cores: int
    processes: int
    """Processes seen in the tree (a master and its workers, a service and its model)."""


class LoadSummary(BaseModel):
    """One load run: what was asked, what was measured, and the verdict."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: int = SUMMARY_VERSION
    run_id: str
    started_at: datetime
    finished_at: datetime
    config: LoadConfig
    host: str
    """The service loaded (the one this run started, or `--host`)."""
    locust_command: list[str]
    locust_exit_code: int | None
    interrupted: bool = False
    """True when the run was stopped early (Ctrl-C); the numbers cover what ran."""
    requests: RequestStats
    rate: RateReport
    peak_users: int
    unfinished_runs: int = 0
    """Runs submitted but still in flight when the test stopped their users."""
    generator_cpu: CpuReport
    """The load generator (locust master and workers): if it is near a full core per
    process, the generator, not the service, limited the throughput."""
    service_cpu: CpuReport | None = None
    """The service this run started; None with `--host`."""
    server: ServerCounts | None = None
    """Counts from the service's `/metrics`, after minus before."""
    server_error: str | None = None
    """Why there are no server counts, when there are none."""
    quality: QualityReport | None = None
    """Accuracy under load per planner, overall and per load step, against the unloaded
    accuracy (the `gold` scenario only)."""
    gates: GateReport
    files: dict[str, str]
    """Role -> file name inside the run directory."""


def new_run_dir(root: Path = DEFAULT_RUNS_DIR, now: datetime | None = None) -> Path:
    """`<root>/load-YYYYmmddTHHMMSSZ-<6 hex>`: sortable by time, unique enough."""
    return root / f"load-{run_stamp(now)}"


def read_result(path: Path) -> LoadResult:
    """Read the locust process's result.

    Raises:
        ResultError: Missing, malformed, or another version.
    """
    return _read(path, LoadResult, RESULT_VERSION, ResultError)


def read_summary(path: Path) -> LoadSummary:
    """Read a `load_summary.json` (a baseline, or a finished run).

    Raises:
        LoadConfigError: Missing, malformed, or another version; a baseline is user input.
    """
    return _read(path, LoadSummary, SUMMARY_VERSION, LoadConfigError)


def _read(path: Path, model: type[M], version: int, error: type[Exception]) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: {exc.strerror or exc}") from exc
    try:
        found = model.model_validate_json(text)
    except ValidationError as exc:
        raise error(f"{path}: not a {model.__name__} ({first_problem(exc)})") from exc
    if found.version != version:
        raise error(f"{path}: {model.__name__} version {found.version}, expected {version}")
    return found
