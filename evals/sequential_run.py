"""Running an eval until its gates are decided: the case order, the rounds, the stop, the record.

With `--stop-when-decided` the cases run in a random order drawn from `--seed`, in rounds
of `round_cases` cases. In a round each planner still running takes the round's cases as
one block, after the previous planner's block (as a whole run does, so a request reuses
only what the same planner's requests left in a model server's cache; on the last few
cases of a round the previous planner's prompts may still be in a slot, which is why
latency is best measured by a whole run). After each round every check is replayed over
the cases so far (`evals.sequential`); a planner stops once every check that reads it is
decided, and the run stops when no planner is left or the cases run out.

Stopping happens between rounds, so no trial is ever cancelled: the trials in flight when
a check is decided are those of the round, and they finish. The decision is a function of
the rows on disk and the seeded order alone, so `--resume` replays the finished rounds,
reaches the same decisions, and runs only what the stopping rule still asks for; a run that
had stopped resumes to the same stop without running anything.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.cases import Case
from crane_bench.evals.gate_config import GatesConfig
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import frame_from_records, scalar_row
from crane_bench.evals.results import TrialResult
from crane_bench.evals.sequential import METHOD, SequentialGate, replay, still_running
from crane_bench.evals.sequential_checks import Monitor, monitors
from crane_bench.plumbing.gates import GateCheck, GateReport

ROUND_CASES: Final = 16
"""Cases per round, at least; twice `--concurrency` when that is more."""


class SequentialReport(BaseModel):
    """What `--stop-when-decided` did: the order, where each planner stopped, and why."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    alpha: float
    """Each check's error rate."""
    seed: int
    """Seed of the case order."""
    method: str = METHOD
    round_cases: int
    suite_cases: int
    """Cases in the suite."""
    cases_run: dict[str, int]
    """Planner -> cases it ran (the whole suite for a planner that never stopped)."""
    stopped_early: bool
    """True when some planner stopped before the suite's end."""
    reason: str
    """Why the run stopped where it did, in words."""
    trials_saved: int
    """Trials of the suite that did not run."""
    model_calls: int
    """Model calls the trials that ran made."""
    model_calls_saved: int
    """Model calls not made, estimated from each stopped planner's calls per trial."""
    gates: list[SequentialGate]
    """Each check under the sequential tests, in the order of `gates.checks`."""
    live_planners: list[str] = []
    """Planners none of whose trials the response cache could answer (`--no-cache`, or no
    model): their latency percentiles are tested as the suite's own."""


def case_order(cases: Sequence[Case], seed: int) -> list[Case]:
    """The cases in the random order drawn from `seed` (numpy's PCG64)."""
    permutation = np.random.default_rng(seed).permutation(len(cases))
    return [cases[int(i)] for i in permutation]


class Blocks(Protocol):
    """Runs a block of trials and returns when all have ended (`evals.runner.TrialBlocks`)."""

    on_row: Any
    """Told of each row written."""

    async def run_block(self, jobs: Iterable[tuple[Case, str, int]]) -> None:
        """Run the trials."""


Done = set[tuple[str, str, int]]


@dataclass
class SequentialSchedule:
    """The order, the rounds and the checks of one run; decisions come from the rows alone."""

    order: list[Case]
    labels: tuple[str, ...]
    checks: list[Monitor]
    alpha: float
    seed: int
    round_cases: int
    metrics: MetricRegistry
    initial: pd.DataFrame
    live: tuple[str, ...] = ()
    """The rows already on disk when the run (or its resumption) started."""
    _records: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        cases: Sequence[Case],
        labels: Sequence[str],
        gates: GatesConfig,
        *,
        seed: int,
        concurrency: int,
        initial: pd.DataFrame,
        metrics: MetricRegistry = DEFAULT_METRICS,
        live: Collection[str] = (),
    ) -> SequentialSchedule:
        """The schedule of a run: its cases in seeded order, its checks as monitors.

        `live` names the planners none of whose trials the response cache can answer.
        """
        scope: dict[str | None, int] = {None: len(cases)}
        for case in cases:
            scope[case.category] = scope.get(case.category, 0) + 1
        return cls(
            order=case_order(cases, seed),
            labels=tuple(labels),
            checks=monitors(gates, labels, metrics, scope=scope, live=live),
            alpha=gates.sequential.alpha,
            seed=seed,
            round_cases=max(ROUND_CASES, 2 * concurrency),
            metrics=metrics,
            initial=initial,
            live=tuple(label for label in labels if label in live),
        )

    def rounds(self) -> list[list[Case]]:
        """The order cut into rounds."""
        size = self.round_cases
        return [self.order[i : i + size] for i in range(0, len(self.order), size)]

    def _keep(self, row: TrialResult) -> None:
        self._records.append(scalar_row(row, self.metrics))

    def frame(self) -> pd.DataFrame:
        """Every row so far: those on disk at the start and those written since."""
        if not self._records:
            return self.initial
        new = frame_from_records(self._records, self.metrics)
        return new if self.initial.empty else pd.concat([self.initial, new], ignore_index=True)

    def _decide(self, cases: int, active: set[str]) -> tuple[list[SequentialGate], set[str]]:
        ids = [case.id for case in self.order[:cases]]
        gates = replay(self.checks, self.frame(), ids, self.alpha)
        return gates, still_running(self.labels, gates) & active

    def _missing(self, chunk: Sequence[Case], label: str, done: Done) -> list[Case]:
        return [case for case in chunk if (label, case.id, 0) not in done]

    def planners_needed(self, done: Done) -> set[str]:
        """The planners that will run a trial: replay the finished rounds, as `run` will."""
        active, cases = set(self.labels), 0
        for chunk in self.rounds():
            if any(self._missing(chunk, label, done) for label in active):
                return {
                    label
                    for label in active
                    if any(self._missing(c, label, done) for c in self.rounds())
                }
            cases += len(chunk)
            _, active = self._decide(cases, active)
            if not active:
                break
        return set()

    async def run(self, blocks: Blocks, done: Done) -> SequentialReport:
        """Run round after round until every planner has stopped; return the record."""
        blocks.on_row = self._keep
        active, cases = set(self.labels), 0
        ran = dict.fromkeys(self.labels, 0)
        for chunk in self.rounds():
            for label in self.labels:
                if label not in active:
                    continue
                missing = self._missing(chunk, label, done)
                if missing:
                    await blocks.run_block((case, label, 0) for case in missing)
                ran[label] += len(chunk)
            cases += len(chunk)
            _, active = self._decide(cases, active)
            if not active:
                break
        return self.report(cases, ran)

    def report(self, cases: int, ran: dict[str, int]) -> SequentialReport:
        """The record of a run that went through `cases` of the order."""
        ids = [case.id for case in self.order[:cases]]
        frame = self.frame()
        gates = replay(self.checks, frame, ids, self.alpha, with_bounds=True)
        suite = len(self.order)
        made_by = {str(k): int(v) for k, v in frame.groupby("planner")["model_calls"].sum().items()}
        trials_by = {str(k): int(v) for k, v in frame["planner"].value_counts().items()}
        saved = sum(
            made_by.get(label, 0) / max(1, trials_by.get(label, 0)) * (suite - count)
            for label, count in ran.items()
        )
        made = sum(made_by.values())
        stopped = {label: n for label, n in ran.items() if n < suite}
        return SequentialReport(
            alpha=self.alpha,
            seed=self.seed,
            round_cases=self.round_cases,
            suite_cases=suite,
            cases_run=ran,
            stopped_early=bool(stopped),
            reason=_reason(gates, ran, suite, cases),
            trials_saved=sum(suite - n for n in ran.values()),
            model_calls=made,
            model_calls_saved=round(saved),
            gates=gates,
            live_planners=list(self.live),
        )


def resequence(
    previous: SequentialReport,
    cases: Sequence[Case],
    labels: Sequence[str],
    gates: GatesConfig,
    *,
    frame: pd.DataFrame,
    metrics: MetricRegistry = DEFAULT_METRICS,
) -> SequentialReport:
    """A stopped run's record, replayed over its rows as they are now (after a rescore).

    The order comes from the recorded seed and the cases, as the run drew it; the run
    stays where it stopped, and each check is decided again on the rescored outcomes (a
    check no longer decided gets its fixed-sample verdict, and says so).
    """
    schedule = SequentialSchedule.create(
        cases, labels, gates, seed=previous.seed, concurrency=1, initial=frame,
        metrics=metrics, live=previous.live_planners,
    )  # fmt: skip
    schedule.round_cases = previous.round_cases
    through = max(previous.cases_run.values(), default=0)
    return schedule.report(through, dict(previous.cases_run))


def _reason(gates: Sequence[SequentialGate], ran: dict[str, int], suite: int, cases: int) -> str:
    decided = [g.decided_after or 0 for g in gates if g.status in ("pass", "fail")]
    open_checks = [g for g in gates if g.status in ("undecided", "not_sequential")]
    stops = ", ".join(f"{label} after {n}" for label, n in ran.items() if n < suite)
    if not open_checks:
        last = max(decided, default=0)
        head = f"every gate was decided, the last after {last} of {suite} cases"
        return head + (f"; planners stopped: {stops}" if stops else "; every case ran")
    held = sorted({p for g in open_checks for p in g.planners})
    head = (
        f"{len(open_checks)} gate(s) undecided or not sequential after {cases} cases, so "
        f"{', '.join(held)} ran to the end"
    )
    return head + (f"; planners stopped earlier: {stops}" if stops else "")


def apply_decisions(
    report: GateReport, sequential: SequentialReport
) -> tuple[GateReport, SequentialReport]:
    """The gate report with each decided check's verdict the sequential one, and the names.

    An undecided or non-sequential check keeps its fixed-sample verdict on the trials run.
    """
    checks = list(report.checks)
    named: list[SequentialGate] = []
    for gate in sequential.gates:
        if gate.check >= len(checks):
            continue
        check = checks[gate.check]
        named.append(gate.model_copy(update={"name": check.name}))
        if gate.status not in ("pass", "fail") or check.skipped:
            continue
        verb = "passed" if gate.status == "pass" else "failed"
        shown = ""
        if gate.lower is not None and gate.upper is not None:
            shown = f"; {gate.what} {gate.lower:.3f}-{gate.upper:.3f}"
        message = (
            f"{gate.status.upper()} {gate.claim} (sequential: {verb} after "
            f"{gate.decided_after} cases{shown}, anytime-valid at α = {sequential.alpha:g})"
        )
        checks[gate.check] = GateCheck(
            name=check.name, status=gate.status, message=message, value=gate.mean,
            limit=gate.target,
        )  # fmt: skip
    return GateReport.of(checks), sequential.model_copy(update={"gates": named})
