"""The run directory: its layout, the results log, and the summary model.

Layout of `runs/<UTC timestamp>-<6 hex>/`:

- `spec.json`: what was run (`EvalSpec`), written before the first trial. Its paths (case
  files, gates, baseline) are relative to the run directory, so a checkout moved with
  its runs still resumes; `read_spec` turns them back into paths that open from here.
- `results.jsonl`: one `TrialResult` per line, appended and flushed as each trial ends,
  so a killed run loses nothing. `--resume` reads the keys (planner, case_id, repeat)
  already there and runs only the others; a torn last line (the process died while
  writing it) is cut off and its trial runs again.
- `transcripts.jsonl`: one `Transcript` per trial, same keys, written just before the
  trial's row (`evals.transcript_store`); absent when the run was made with
  `--no-transcripts`.
- `summary.json`: `EvalSummary`, written (atomically) once every trial has run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crane_bench.evals.comparison import Comparison
from crane_bench.evals.errors import RunLogError
from crane_bench.evals.gate_power import GatePower
from crane_bench.evals.metrics import PlannerMetrics
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_config import EvalSpec
from crane_bench.evals.sequential_run import SequentialReport
from crane_bench.evals.warmup import WarmUp
from crane_bench.plumbing.errors import RunFileError
from crane_bench.plumbing.gates import GateReport
from crane_bench.plumbing.run_files import (
    DEFAULT_RUNS_DIR,
    RESULTS_FILE,
    SPEC_FILE,
    SUMMARY_FILE,
    TRANSCRIPTS_FILE,
    JsonlAppender,
    JsonlReader,
    cut_torn_line,
    run_stamp,
    write_atomically,
)
from crane_bench.plumbing.validation import first_problem
from crane_bench.runtime.errors import ConfigError

SUMMARY_VERSION: Final = 2
"""2: each planner's metrics are figures keyed by name under `metrics` (the metric
registry's). Version 1 wrote them as flat fields; such summaries are read and translated."""
READABLE_SUMMARY_VERSIONS: Final = (1, 2)
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
    slots: int | None = None
    """Requests the server decodes at once, when known (llama-server's slots)."""
    llm_mode: str | None = None
    """How the llm planner used it: `decomposed` (one call per clause) or `oneshot`."""


class LatencyMeasurement(BaseModel):
    """How the run measured latency: what a reader needs before comparing two figures."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    scheduling: Literal["serialised", "concurrent"]
    """Model trials one at a time (the server serves one request at a time), or several."""
    concurrency: int
    """Trials in flight at once (model trials: 1 when serialised)."""
    order: Literal["planner_blocks", "rounds"] = "planner_blocks"
    """Each planner's trials ran as one block, after the previous planner's; `rounds`: so
    within each round of cases (`--stop-when-decided`)."""
    server: str | None = None
    """What served the model (`runtime.local_llm.server_kind`); None: no model in the run."""
    server_started_by_run: bool = False
    llm_mode: str | None = None
    """`decomposed` or `oneshot`: how the llm planner used the model."""
    response_cache: bool
    """Answers could come from the on-disk response cache; such trials are left out of the
    latency percentiles (see each planner's `latency_ms.cached_excluded`)."""
    warmup: list[WarmUp] = []
    """Each planner's untimed warm-up plan before its first trial (`evals.warmup`); empty
    in runs made before warm-ups were."""
    description: str
    """All of the above in words, for the report."""


class Environment(BaseModel):
    """Where the run ran."""

    model_config = ConfigDict(extra="forbid")

    python: str
    platform: str
    packages: dict[str, str | None]
    endpoint: EndpointInfo | None = None
    """The first label's endpoint (kept for readers of older summaries)."""
    endpoints: dict[str, EndpointInfo] = Field(default_factory=dict)
    """The model endpoint of each label that called one."""


class EvalSummary(BaseModel):
    """The whole run: what was run, where, the metrics, the comparisons and the gates."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: Literal[2] = SUMMARY_VERSION
    """The summary format's version; a version 1 file is translated as it is read."""
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
    gate_power: list[GatePower] = Field(default_factory=list)
    """What each threshold check on a rate could resolve (`evals.gate_power`); empty in
    summaries written before it was recorded."""
    sequential: SequentialReport | None = None
    """What `--stop-when-decided` decided, and where each planner stopped; None for a run
    of every case. Its checks' bounds are anytime-valid; every other interval in the
    summary is a fixed-sample (Wilson) one."""
    latency_measurement: LatencyMeasurement | None = None
    """How latency was measured (None in summaries written before it was recorded)."""
    rescored_at: datetime | None = None
    """When `crane-bench rescore` last recomputed the outcomes; None if it never did."""

    def gate_notes(self) -> dict[int, str]:
        """Notes on the gate checks by position in `gates.checks`.

        What each could resolve, and for a sequential run, how the sequential test left
        each check it did not decide (a decided check's message says it already).
        """
        notes: dict[int, list[str]] = {}
        for power in self.gate_power:
            notes.setdefault(power.check, []).append(power.text)
        for gate in self.sequential.gates if self.sequential else []:
            if gate.status in ("undecided", "not_sequential"):
                notes.setdefault(gate.check, []).insert(0, gate.note)
        return {check: "; ".join(parts) for check, parts in notes.items()}

    @model_validator(mode="before")
    @classmethod
    def _older_versions(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        version = data.get("version", 1)
        if version not in READABLE_SUMMARY_VERSIONS:
            raise ValueError(
                f"summary version {version!r}: this crane-bench reads versions "
                f"{', '.join(map(str, READABLE_SUMMARY_VERSIONS))} (a newer one wrote it?)"
            )
        # Version 1's planner metrics are translated by `CategoryMetrics` itself.
        return {**data, "version": SUMMARY_VERSION}


def sequential_sentence(summary: EvalSummary) -> str:
    """What `--stop-when-decided` did, in words; empty for a run of every case.

    Says which intervals are sequential (the decided gates' bounds) and which are not.
    """
    s = summary.sequential
    if s is None:
        return ""
    saved = ""
    if s.trials_saved:
        saved = f" {s.trials_saved} trials saved"
        saved += f", about {s.model_calls_saved} model calls" if s.model_calls_saved else ""
        saved += "."
    suite = ""
    if any(g.population is not None for g in s.gates):
        suite = (
            " Gates on a point estimate were tested as the suite's own rate (bounds on "
            "what a run of every case would find), the others as a rate's."
        )
    return (
        f"Stopped when decided (seed {s.seed}, α = {s.alpha:g} per gate, rounds of "
        f"{s.round_cases} cases): {s.reason}.{saved} The gates' bounds are anytime-valid "
        "(sequential); every other interval is fixed-sample (Wilson) on the cases each "
        f"planner ran, and is not adjusted for the stop.{suite}"
    )


def _relative(path: str, run_dir: Path) -> str:
    """`path` relative to the run directory when both lie in the working tree, else absolute.

    A checkout moved with its runs then resumes; a file from elsewhere keeps its place.
    """
    here, target, run = Path.cwd().resolve(), Path(path).resolve(), run_dir.resolve()
    if target.is_relative_to(here) and run.is_relative_to(here):
        return Path(os.path.relpath(target, run)).as_posix()
    return str(target)


def _from_run_dir(path: str, run_dir: Path) -> str:
    # Specs written before paths were relative hold absolute ones: those stay.
    return path if Path(path).is_absolute() else os.path.normpath(run_dir / path)


def locate_case_file(path: str, run_dir: Path) -> str:
    """Where a case file that a run recorded is now: the one way to find it.

    Its recorded place (a relative path is relative to the run directory); when no file
    is there but one of its name is inside the run directory (a run copied elsewhere
    with its cases), that one; when neither exists, the recorded place, for the message.
    """
    recorded = _from_run_dir(path, run_dir)
    copied = run_dir / Path(path).name
    if not Path(recorded).is_file() and copied.is_file():
        return str(copied)
    return recorded


def _map_paths(
    spec: EvalSpec, change: Callable[[str], str], cases: Callable[[str], str] | None = None
) -> EvalSpec:
    args = spec.args
    case_path = cases or change
    files = [ref.model_copy(update={"path": case_path(ref.path)}) for ref in args.case_files]
    moved = args.model_copy(
        update={
            "case_files": files,
            "gates": change(args.gates),
            "baseline": change(args.baseline) if args.baseline else None,
        }
    )
    return spec.model_copy(update={"args": moved})


@dataclass(frozen=True)
class RunDir:
    """A run directory and the files in it."""

    path: Path

    @property
    def spec_file(self) -> Path:
        """`spec.json`."""
        return self.path / SPEC_FILE

    @property
    def results_file(self) -> Path:
        """`results.jsonl`."""
        return self.path / RESULTS_FILE

    @property
    def transcripts_file(self) -> Path:
        """`transcripts.jsonl`."""
        return self.path / TRANSCRIPTS_FILE

    @property
    def summary_file(self) -> Path:
        """`summary.json`."""
        return self.path / SUMMARY_FILE

    @classmethod
    def create(cls, out: Path | None = None, *, root: Path = DEFAULT_RUNS_DIR) -> RunDir:
        """Name a new run directory: `out`, or a fresh `<root>/<timestamp>-<hex>`.

        Raises:
            ConfigError: `out` already holds a run (resume it instead) or is a file.
        """
        path = out if out is not None else root / run_stamp()
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
        text = self.portable(spec).model_dump_json(indent=2) + "\n"
        write_atomically(self.spec_file, text)

    def portable(self, spec: EvalSpec) -> EvalSpec:
        """`spec` with its paths relative to this run directory, as the files hold them."""
        return _map_paths(spec, lambda path: _relative(path, self.path))

    def read_spec(self) -> EvalSpec:
        """The spec the run recorded when it started, its paths opening from here.

        Raises:
            RunLogError: The spec is not readable or not a spec.
        """
        return self.resolve(read_model(self.spec_file, EvalSpec, "a run spec"))

    def resolve(self, spec: EvalSpec) -> EvalSpec:
        """`spec` as a file of this run holds it, with paths that open from here.

        Case files are found by `locate_case_file`; the gates and baseline files are
        where they were recorded.
        """
        return _map_paths(
            spec,
            lambda path: _from_run_dir(path, self.path),
            cases=lambda path: locate_case_file(path, self.path),
        )

    def write_summary(self, summary: EvalSummary) -> None:
        """Write `summary.json`."""
        portable = summary.model_copy(update={"spec": self.portable(summary.spec)})
        write_atomically(self.summary_file, portable.model_dump_json(indent=2) + "\n")


M = TypeVar("M", bound=BaseModel)


def read_model(path: Path, model: type[M], what: str) -> M:
    """Read and validate one JSON file of a run directory (`spec.json`, `summary.json`).

    Args:
        path: The file.
        model: What it holds.
        what: What it should be, for the message, with its article: `a run spec`.

    Raises:
        RunLogError: The file is missing, unreadable, or not a `model` (one line: the
            file, what it should be, and the first problem).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunLogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise RunLogError(f"{path}: not {what}: {first_problem(exc)}") from None


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
    reader = JsonlReader(path)
    try:
        for line in reader:
            key, correct = _key(line.data, path, line.number)
            recovered.done.add(key)
            recovered.correct[key[0]] = recovered.correct.get(key[0], 0) + correct
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None
    cut_torn_line(reader)  # the torn line goes; its trial runs again
    recovered.dropped_line = reader.torn[0] if reader.torn else None
    return recovered


class ResultsWriter(JsonlAppender):
    """Appends rows to `results.jsonl`, one flushed line each."""

    def append(self, row: TrialResult) -> None:
        """Write one row and flush it, so a killed run keeps it."""
        self.write_line(row.model_dump_json())
