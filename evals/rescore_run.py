"""Re-score a finished run directory in place: results, summary and gates from stored rows.

`rescore_run` reloads the case files the run recorded (`spec.json`, with the run's
perturbations), re-scores every row (`evals.rescore`), and rewrites `results.jsonl`
atomically when a row changed, keeping the rows as the run wrote them in
`results.pre-rescore.jsonl` (the first re-scoring makes it; later ones leave it, so it
always holds the original rows). The changed trials' transcripts get a new score event
(marked `rescored`), the originals kept in `transcripts.pre-rescore.jsonl` the same way.
Then it recomputes the summary: metrics, paired
comparisons and gates, with the run's own start, end, environment and commit, and the
time of the re-scoring in `rescored_at`. The report is the caller's to rebuild.

Only a finished run is re-scored: one with a summary, every trial's row and no torn
last line (a run killed while writing one); any other is refused, with a pointer to
`crane-bench eval --resume`, before anything is written. The temp files that a
re-scoring killed while rewriting left in the run directory are removed by the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from crane_bench.evals.cases import load_cases
from crane_bench.evals.errors import RescoreRefusedError, RunLogError
from crane_bench.evals.gate_config import load_gates
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.perturbations import with_variants
from crane_bench.evals.rescore import (
    CaseChange,
    OutcomeChange,
    check_cases,
    outcome_changes,
    rescore_rows,
)
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.run_reader import EvalRun, Rows, read_results, read_run
from crane_bench.evals.sequential_run import resequence
from crane_bench.evals.summary import build_summary, load_baseline_file
from crane_bench.evals.transcript_store import rescore_transcripts
from crane_bench.plumbing.run_files import remove_stale_temps, write_atomically
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig

BACKUP_FILE: Final = "results.pre-rescore.jsonl"
"""The rows as the run wrote them, kept beside the re-scored ones."""
TRANSCRIPTS_BACKUP_FILE: Final = "transcripts.pre-rescore.jsonl"
"""The transcripts as the run wrote them, kept beside those with a new score event."""


@dataclass(frozen=True)
class RescoreResult:
    """What a re-scoring changed."""

    summary: EvalSummary
    previous: EvalSummary
    """The summary before re-scoring (its gates, to compare)."""
    outcome_changes: list[OutcomeChange]
    case_changes: list[CaseChange]
    rows_changed: int
    """Rows that differ in any field (outcome, flags, expectations, category)."""
    backup: Path | None
    """Where the original rows are kept; None when no row changed and none was kept."""
    removed_temps: list[Path]
    """Temp files that an earlier re-scoring, killed while writing, left behind."""


def _resume_hint(path: Path) -> str:
    return f"finish the run with `crane-bench eval --resume {path}`, then re-score it"


def _check_finished(
    run: RunDir, rows: list[TrialResult], torn: int | None, previous: EvalSummary
) -> None:
    if torn is not None:
        raise RescoreRefusedError(
            f"{run.results_file}: line {torn} is torn (the run was killed while writing it): "
            + _resume_hint(run.path)
        )
    if (missing := previous.expected_trials - len(rows)) > 0:
        raise RescoreRefusedError(
            f"{run.path}: {missing} of its {previous.expected_trials} trials are missing: "
            + _resume_hint(run.path)
        )


def _open_run(path: Path) -> tuple[EvalRun, EvalSummary]:
    """The finished run in `path` and its summary (`evals.run_reader`).

    Raises:
        RescoreRefusedError: Not a run directory, not finished, or its spec or summary
            does not validate.
        RunLogError: No results file beside the summary.
    """
    if not RunDir(path).spec_file.is_file():
        raise RescoreRefusedError(f"{path}: not a run directory (no spec.json)")
    try:
        run = read_run(path)
    except RunLogError as exc:
        raise RescoreRefusedError(str(exc)) from None
    if run.summary is None:
        raise RescoreRefusedError(f"{path}: the run did not finish: " + _resume_hint(path))
    return run, run.summary


def read_rows(path: Path) -> tuple[list[TrialResult], int | None, str]:
    """Every row of a results file, the torn last line if any, and the file's text.

    Raises:
        RunLogError: The file is unreadable or a row other than the last is malformed.
    """
    rows = Rows(path, TrialResult)
    found = list(rows)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunLogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return found, rows.torn_line, text


async def rescore_run(
    path: Path,
    *,
    gates_path: Path | None = None,
    baseline_path: Path | None = None,
    metrics: MetricRegistry = DEFAULT_METRICS,
) -> RescoreResult:
    """Re-score the run in `path` against its case files as they are now.

    Args:
        path: A finished run directory.
        gates_path: The gates to apply; default: the file the run recorded.
        baseline_path: A baseline for the regression gate; default: the run's, if any.
        metrics: The metrics to summarise and gate on.

    Raises:
        RescoreRefusedError: Not a finished run (no summary, a torn last line, trials
            missing), a case file is gone, a case is gone or its prompt changed.
        UserError: A case file, the gates or the baseline is malformed.
        RunLogError: The results file is malformed.
    """
    opened, previous = _open_run(path)
    run, spec = opened.files, opened.spec
    args = spec.args
    files = [Path(ref.path) for ref in args.case_files]
    for file in files:
        if not file.is_file():
            raise RescoreRefusedError(f"case file {file} (recorded by the run) is gone")
    cases = with_variants(load_cases(files), args.perturbations, args.perturb_seed)
    by_id = {case.id: case for case in cases}
    gates_file = gates_path or Path(args.gates)
    gates = load_gates(gates_file, metrics)
    baseline_file = baseline_path or (Path(args.baseline) if args.baseline else None)
    baseline = load_baseline_file(baseline_file) if baseline_file else None
    rows, torn, old_text = read_rows(run.results_file)
    _check_finished(run, rows, torn, previous)
    case_changes = check_cases(rows, by_id)
    removed_temps = remove_stale_temps(run.path)  # nothing refused: now it may write
    new_rows = await rescore_rows(rows, by_id, Orchestrator(OrchestratorConfig()))
    changed = sum(a != b for a, b in zip(rows, new_rows, strict=True))
    backup: Path | None = None
    if changed:
        backup = run.path / BACKUP_FILE
        if not backup.exists():
            write_atomically(backup, old_text)
        # Transcripts first: a re-scoring killed between the two writes leaves the rows as
        # they were, so the next one finds the same rows changed and rewrites both.
        rescore_transcripts(
            run.transcripts_file,
            {
                (b.planner, b.case_id, b.repeat): b
                for a, b in zip(rows, new_rows, strict=True)
                if a != b
            },
            run.path / TRANSCRIPTS_BACKUP_FILE,
        )
        write_atomically(run.results_file, "".join(r.model_dump_json() + "\n" for r in new_rows))
    used = args.model_copy(
        update={
            "gates": str(gates_file),
            "baseline": str(baseline_file) if baseline_file else None,
        }
    )
    spec = spec.model_copy(update={"args": used})
    sequential = None
    if previous.sequential is not None:  # a run that stopped when its gates were decided
        labels = [r.label for r in args.planner_specs] or args.planners
        frame = read_results(run.results_file, metrics)
        sequential = resequence(
            previous.sequential, cases, labels, gates, frame=frame, metrics=metrics
        )
    summary = build_summary(
        run,
        spec,
        started_at=previous.started_at,
        finished_at=previous.finished_at,
        expected_trials=previous.expected_trials,
        gates=gates,
        baseline=baseline,
        measurement=previous.latency_measurement,
        metrics=metrics,
        sequential=sequential,
    ).model_copy(
        update={
            # Where and from what the trials ran is the run's, not the re-scoring's.
            "run_id": previous.run_id,
            "git_sha": previous.git_sha,
            "environment": previous.environment,
            "rescored_at": datetime.now(UTC),
        }
    )
    run.write_summary(summary)
    return RescoreResult(
        summary=summary,
        previous=previous,
        outcome_changes=outcome_changes(rows, new_rows),
        case_changes=case_changes,
        rows_changed=changed,
        backup=backup,
        removed_temps=removed_temps,
    )
