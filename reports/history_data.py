"""Every run under a directory, read into trend frames, with regressions found and marked.

A regression is judged against the previous comparable run, never across different work:

- eval: the same planner on the same case files (same sha256s). It regressed when it is
  significantly worse on the paired cases (exact McNemar on `plan_correct`, the test the
  regression gate uses); significantly better is marked as an improvement.
- load: the same profile (scenario, users, shape, rate, planner). It regressed when a
  p95 or the throughput moved beyond the default baseline tolerances of `load.slo`.

A directory that is not a run, or an eval run that did not finish, is left out; a run
whose files are malformed is left out with a note, so one bad run does not hide the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd

from crane_bench.evals.comparison import case_verdicts, compare_verdicts
from crane_bench.evals.errors import RunLogError
from crane_bench.evals.run_dir import EvalSummary
from crane_bench.evals.run_reader import EvalRun
from crane_bench.load.slo import SloConfig, evaluate
from crane_bench.load.summary import LoadSummary
from crane_bench.reports.build import run_kind
from crane_bench.reports.errors import NotARunDirError, ReportError, RunIncompleteError
from crane_bench.reports.frames import open_eval_run
from crane_bench.reports.load_frames import read_load_summary

ALPHA: Final = 0.05
NO_GATES: Final = SloConfig(min_requests=0, max_fail_ratio={}, max_p95_ms={}, min_rate_ratio=None)
"""Only the baseline comparison of `load.slo.evaluate`, with its default tolerances."""
EVAL_COLUMNS: Final = (
    "run_id", "started_at", "planner", "plan_accuracy", "ci_low", "ci_high", "p95_ms",
    "regression", "improved", "note",
)  # fmt: skip
LOAD_COLUMNS: Final = (
    "run_id", "started_at", "profile", "request_type", "p95_ms", "requests_per_s",
    "regression", "note",
)  # fmt: skip
RUN_COLUMNS: Final = (
    "kind", "run_id", "started_at", "git_sha", "what", "size", "passed", "failed", "skipped",
    "regressions", "report",
)  # fmt: skip


@dataclass
class History:
    """The trend frames of a directory of runs."""

    eval_points: pd.DataFrame
    """One row per eval run and planner."""
    load_points: pd.DataFrame
    """One row per load run and request type (`RUN`, `HTTP`)."""
    runs: pd.DataFrame
    """One row per run, newest first."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _FinishedRun:
    run: EvalRun
    summary: EvalSummary

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def suite(self) -> tuple[str, ...]:
        return tuple(sorted(ref.sha256 for ref in self.summary.spec.args.case_files))


def _load_profile(summary: LoadSummary) -> str:
    c = summary.config
    rate = f", {c.rate:g}/s" if c.rate is not None else ""
    planner = f", {c.planner}" if c.planner else ""
    return f"{c.scenario}, {c.users} users, {c.shape}{rate}{planner}"


def _scan(
    root: Path, notes: list[str]
) -> tuple[list[_FinishedRun], list[tuple[Path, LoadSummary]]]:
    evals: list[_FinishedRun] = []
    loads: list[tuple[Path, LoadSummary]] = []
    for path in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            if run_kind(path) == "load":
                loads.append((path, read_load_summary(path)))
            else:
                evals.append(_FinishedRun(*open_eval_run(path)))
        except (NotARunDirError, RunIncompleteError):
            continue
        except ReportError as exc:
            notes.append(f"left out: {exc}")
    evals.sort(key=lambda run: run.summary.started_at)
    loads.sort(key=lambda item: item[1].started_at)
    return evals, loads


def _paired(previous: _FinishedRun, current: _FinishedRun, planner: str) -> tuple[bool, bool, str]:
    """(regressed, improved, note) of `planner` from `previous` to `current`."""
    try:
        before = previous.run.frame()
        now = current.run.frame()
    except (RunLogError, OSError) as exc:
        return False, False, f"not compared: {exc}"
    comparison = compare_verdicts(
        case_verdicts(before[before["planner"] == planner]),
        case_verdicts(now[now["planner"] == planner]),
        planner_a="previous",
        planner_b=planner,
        alpha=ALPHA,
    )
    counts = (
        f"{comparison.a_only} regressions, {comparison.b_only} fixes on "
        f"{comparison.n_pairs} paired cases vs {previous.summary.run_id}, "
        f"p = {comparison.p_value:.3g}"
    )
    return comparison.winner == "previous", comparison.winner == planner, counts


def _eval_points(runs: list[_FinishedRun]) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    last: dict[tuple[str, tuple[str, ...]], _FinishedRun] = {}
    for run in runs:
        for planner, m in run.summary.planners.items():
            key = (planner, run.suite)
            regressed, improved, note = False, False, ""
            if key in last:
                regressed, improved, note = _paired(last[key], run, planner)
            elif any(p == planner for p, _ in last):
                note = "case files changed: not compared with earlier runs"
            last[key] = run
            accuracy = m.rate("plan_accuracy")
            points.append(
                {
                    "run_id": run.summary.run_id,
                    "started_at": run.summary.started_at,
                    "planner": planner,
                    "plan_accuracy": accuracy.value,
                    "ci_low": accuracy.ci[0] if accuracy.ci else None,
                    "ci_high": accuracy.ci[1] if accuracy.ci else None,
                    "p95_ms": m.latency().p95,
                    "regression": regressed,
                    "improved": improved,
                    "note": note,
                }
            )
    return points


def _load_points(runs: list[tuple[Path, LoadSummary]]) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    last: dict[str, LoadSummary] = {}
    for _, summary in runs:
        profile = _load_profile(summary)
        failed: list[str] = []
        if profile in last:
            report = evaluate(summary.requests, summary.rate, NO_GATES, last[profile].requests)
            failed = [c.message for c in report.failures]
        last[profile] = summary
        for kind in ("RUN", "HTTP"):
            group = summary.requests.group(kind)
            if group is None or not group.requests:
                continue
            mine = [
                line
                for line in failed
                if f"[{kind}]" in line or (kind == "HTTP" and "requests_per_s" in line)
            ]
            points.append(
                {
                    "run_id": summary.run_id,
                    "started_at": summary.started_at,
                    "profile": profile,
                    "request_type": kind,
                    "p95_ms": group.p95_ms,
                    "requests_per_s": group.requests_per_s,
                    "regression": bool(mine),
                    "note": "; ".join(mine),
                }
            )
    return points


def _gate_counts(checks: list[tuple[bool, bool]]) -> tuple[int, int, int]:
    """(passed, failed, skipped) from (passed, skipped) pairs."""
    skipped = sum(s for _, s in checks)
    failed = sum(not p and not s for p, s in checks)
    return len(checks) - failed - skipped, failed, skipped


def _flags(points: pd.DataFrame, run_id: str, label: str) -> list[str]:
    """`<label>: <note>` of each regression point of one run."""
    if points.empty:
        return []
    mine = points[points["regression"] & (points["run_id"] == run_id)]
    return [f"{row[label]}: {row['note']}" for _, row in mine.iterrows()]


def _run_rows(
    evals: list[_FinishedRun],
    loads: list[tuple[Path, LoadSummary]],
    eval_points: pd.DataFrame,
    load_points: pd.DataFrame,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for run in evals:
        s = run.summary
        passed, failed, skipped = _gate_counts([(c.passed, c.skipped) for c in s.gates.checks])
        report = run.path / "report.html"
        rows.append(
            {
                "kind": "eval",
                "run_id": s.run_id,
                "started_at": s.started_at,
                "git_sha": s.git_sha,
                "what": ", ".join(s.planners),
                "size": f"{s.trials:,} trials",
                "passed": passed,
                "failed": failed,
                "skipped": skipped,
                "regressions": _flags(eval_points, s.run_id, "planner"),
                "report": f"{run.path.name}/{report.name}" if report.is_file() else None,
            }
        )
    for path, summary in loads:
        passed, failed, skipped = _gate_counts(
            [(c.passed, c.skipped) for c in summary.gates.checks]
        )
        report = path / "load_report.html"
        rows.append(
            {
                "kind": "load",
                "run_id": summary.run_id,
                "started_at": summary.started_at,
                "git_sha": None,
                "what": _load_profile(summary),
                "size": f"{summary.requests.http.requests:,} requests",
                "passed": passed,
                "failed": failed,
                "skipped": skipped,
                "regressions": _flags(load_points, summary.run_id, "request_type"),
                "report": f"{path.name}/{report.name}" if report.is_file() else None,
            }
        )
    return rows


def read_history(root: Path) -> History:
    """Read every run directory directly under `root` into trend frames.

    Raises:
        NotARunDirError: `root` is not a directory.
    """
    if not root.is_dir():
        raise NotARunDirError(f"{root}: not a directory")
    notes: list[str] = []
    evals, loads = _scan(root, notes)
    eval_points = pd.DataFrame.from_records(_eval_points(evals), columns=list(EVAL_COLUMNS))
    load_points = pd.DataFrame.from_records(_load_points(loads), columns=list(LOAD_COLUMNS))
    rows = _run_rows(evals, loads, eval_points, load_points)
    # object dtype: a run without a report or a git sha keeps None, not NaN.
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS), dtype=object)
    if not runs.empty:
        runs = runs.sort_values("started_at", ascending=False, kind="stable")
    return History(eval_points, load_points, runs.reset_index(drop=True), notes)


def newest(frame: pd.DataFrame) -> datetime | None:
    """The latest `started_at` of a frame, or None when it is empty."""
    return None if frame.empty else frame["started_at"].max()
