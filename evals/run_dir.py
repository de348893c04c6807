"""The run directory: its layout, the results log, and the summary model.

Layout of `runs/<UTC timestamp>-<6 hex>/`:

- `spec.json`: what was run (`EvalSpec`), written before the first trial.
- `results.jsonl`: one `TrialResult` per line, appended and flushed as each trial ends,
  so a killed run loses nothing. `--resume` reads the keys (planner, case_id, repeat)
  already there and runs only the others; a torn last line (the process died while
  writing it) is cut off and its trial runs again.
- `summary.json`: `EvalSummary`, written (atomically) once every trial has run.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from evals.comparison import Comparison
from evals.errors import RunLogError
from evals.gates import GateReport
from evals.metrics import PlannerMetrics
from evals.results import TrialResult
from evals.run_config import EvalSpec
from runtime.errors import ConfigError

SUMMARY_VERSION: Final = 1
DEFAULT_RUNS_DIR: Final = Path("runs")
TrialKey = tuple[str, str, int]
"""(planner, case_id, repeat): one trial, written at most once."""


class EndpointInfo(BaseModel):
    """The model endpoint the LLM planners used (never its key)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str
    model: str
    local: bool
    kind: str
    server: str = "unknown"
    """What serves it (`runtime.local_llm.server_kind`)."""
    llm_mode: str | None = None
    """How the llm planner used it: `decomposed` (one call per clause) or `oneshot`."""


class LatencyMeasurement(BaseModel):
    """How the run measured latency: what a reader needs before comparing two figures."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    scheduling: Literal["serialised", "concurrent"]
    """Model trials one at a time (the server serves one request at a time), or several."""
    concurrency: int
    """Trials in flight at once (model trials: 1 when serialised)."""
    order: Literal["planner_blocks"] = "planner_blocks"
    """Each planner's trials ran as one block, after the previous planner's."""
    server: str | None = None
    """What served the model (`runtime.local_llm.server_kind`); None: no model in the run."""
    server_started_by_run: bool = False
    llm_mode: str | None = None
    """`decomposed` or `oneshot`: how the llm planner used the model."""
    response_cache: bool
    """Answers could come from the on-disk response cache; such trials are left out of the
    latency percentiles (see each planner's `latency_ms.cached_excluded`)."""
    description: str
    """All of the above in words, for the report."""


class Environment(BaseModel):
    """Where the run ran."""

    model_config = ConfigDict(extra="forbid")

    python: str
    platform: str
    packages: dict[str, str | None]
    endpoint: EndpointInfo | None = None


class EvalSummary(BaseModel):
    """The whole run: what was run, where, the metrics, the comparisons and the gates."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: int = SUMMARY_VERSION
    run_id: str
    started_at: datetime
    finished_at: datetime
    spec: EvalSpec
    git_sha: str | None
    environment: Environment
    trials: int
    """Rows in results.jsonl."""
    expected_trials: int
    """Cases x planners x repeats; more than `trials` when some trial did not finish."""
    cached_trials: int
    """Trials whose model answers all came from the response cache."""
    planners: dict[str, PlannerMetrics]
    comparisons: list[Comparison]
    gates: GateReport
    latency_measurement: LatencyMeasurement | None = None
    """How latency was measured (None in summaries written before it was recorded)."""


def new_run_name(now: datetime | None = None) -> str:
    """`YYYYmmddTHHMMSSZ-<6 hex>`, sortable by time and unique enough."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def write_json_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file and `os.replace`: all or nothing."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class RunDir:
    """A run directory and the files in it."""

    path: Path

    @property
    def spec_file(self) -> Path:
        """`spec.json`."""
        return self.path / "spec.json"

    @property
    def results_file(self) -> Path:
        """`results.jsonl`."""
        return self.path / "results.jsonl"

    @property
    def summary_file(self) -> Path:
        """`summary.json`."""
        return self.path / "summary.json"

    @classmethod
    def create(cls, out: Path | None = None, *, root: Path = DEFAULT_RUNS_DIR) -> RunDir:
        """Name a new run directory: `out`, or a fresh `<root>/<timestamp>-<hex>`.

        Raises:
            ConfigError: `out` already holds a run (resume it instead) or is a file.
        """
        path = out if out is not None else root / new_run_name()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"--out {path}: not a directory")
        run = cls(path)
        if run.spec_file.exists() or run.results_file.exists():
            raise ConfigError(f"{path} already holds a run; finish it with --resume {path}")
        return run  # made by `write_spec`, so a run that fails to start leaves nothing

    @classmethod
    def existing(cls, path: Path) -> RunDir:
        """A run directory to resume.

        Raises:
            ConfigError: `path` is not a run directory (no spec.json).
        """
        run = cls(path)
        if not run.spec_file.is_file():
            raise ConfigError(f"--resume {path}: not a run directory (no spec.json)")
        return run

    def write_spec(self, spec: EvalSpec) -> None:
        """Record what is being run, making the directory if needed."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self.spec_file, spec.model_dump_json(indent=2) + "\n")

    def read_spec(self) -> EvalSpec:
        """The spec the run recorded when it started.

        Raises:
            ConfigError: The spec is not readable or not a spec.
        """
        try:
            return EvalSpec.model_validate_json(self.spec_file.read_bytes())
        except (OSError, ValidationError) as exc:
            problem = " ".join(str(exc).split())[:200]
            raise ConfigError(f"{self.spec_file}: not a valid run spec: {problem}") from None

    def write_summary(self, summary: EvalSummary) -> None:
        """Write `summary.json`."""
        write_json_atomically(self.summary_file, summary.model_dump_json(indent=2) + "\n")


@dataclass
class Recovered:
    """What an earlier, unfinished run already wrote."""

    done: set[TrialKey] = field(default_factory=set)
    correct: dict[str, int] = field(default_factory=dict)
    """Planner -> rows whose outcome is `correct` (for the progress display)."""
    dropped_line: int | None = None
    """The torn last line that was cut off, if any."""


def _key(data: object, path: Path, number: int) -> tuple[TrialKey, bool]:
    try:
        row = data if isinstance(data, dict) else {}
        key = (str(row["planner"]), str(row["case_id"]), int(row["repeat"]))
    except (KeyError, TypeError, ValueError):
        raise RunLogError(f"{path}: line {number}: not a trial row") from None
    return key, row.get("outcome") == "correct"


def recover_results(path: Path) -> Recovered:
    """Read the keys of the rows in `path`, cutting off a torn last line in place.

    Raises:
        RunLogError: A line other than the last is not a JSON trial row.
    """
    recovered = Recovered()
    if not path.exists():
        return recovered
    with path.open("r+b") as handle:
        offset, lines = 0, handle.readlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                offset += len(line)
                continue
            try:
                key, correct = _key(json.loads(line), path, number)
            except (ValueError, RunLogError):
                if number != len(lines):
                    raise RunLogError(f"{path}: line {number}: not a JSON trial row") from None
                handle.truncate(offset)  # the torn line goes; its trial runs again
                recovered.dropped_line = number
                break
            recovered.done.add(key)
            recovered.correct[key[0]] = recovered.correct.get(key[0], 0) + correct
            offset += len(line)
        else:
            if lines and not lines[-1].endswith(b"\n"):
                handle.write(b"\n")  # a complete row whose newline was lost
    return recovered


class ResultsWriter:
    """Appends rows to `results.jsonl`, one flushed line each."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def append(self, row: TrialResult) -> None:
        """Write one row and flush it, so a killed run keeps it."""
        self._file.write(row.model_dump_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
