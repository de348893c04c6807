"""Re-score stored trials against the case files as they are now, without planning again.

When the scoring rules or a case's expectations change, a run's plans need not be made
again: each row keeps the plan, the raw output and what executing the plan gave
(`run_status`, `run_output`). `rescore_rows` judges every row again with the current
scorer (`evals.scoring.judge`) and the current case, and returns new rows; what the
planner did and what it cost are kept as they were.

What is redone, and what is not:

- The plan is validated again on fresh tools set up as the case says (validation is a
  pure function of the plan and the tools).
- A stored execution is reused. A plan that was not executed and now must be (the case
  now expects exactly a plan its tool refuses, so it is accepted despite validation) is
  executed on fresh tools: the tools are local and deterministic. A plan that was
  executed and now must not be loses its run, as a fresh trial would have none.
- A planner error or a timeout is what happened, not a judgement: it stays.
- The prompt is what the planner saw, so a changed prompt cannot be re-scored: the whole
  re-scoring is refused (`check_cases`), as is a row whose case is gone. A changed
  expected plan, category or tags is allowed and listed.

Transcript-based re-scoring can call `rescore_rows` with the rows it rebuilds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from crane_bench.evals.cases import Case
from crane_bench.evals.errors import RescoreRefusedError
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.scoring import (
    Execution,
    Failure,
    accepted_despite_validation,
    judge,
    one_line_error,
    run_error,
)
from crane_bench.evals.trial import case_tools, refusal_of
from crane_bench.runtime.models import RunStatus
from crane_bench.runtime.orchestrator import Orchestrator

_FAILURES: dict[OutcomeClass, Failure] = {
    OutcomeClass.PLANNER_ERROR: "planner_error",
    OutcomeClass.TIMEOUT: "timeout",
}


@dataclass(frozen=True)
class OutcomeChange:
    """A trial whose outcome class changed on re-scoring."""

    case_id: str
    planner: str
    repeat: int
    old: OutcomeClass
    new: OutcomeClass


@dataclass(frozen=True)
class CaseChange:
    """A case whose expectations (or category or tags) differ from what the run recorded."""

    case_id: str
    fields: tuple[str, ...]
    """Which of `expected`, `category`, `tags` changed."""


def check_cases(rows: Sequence[TrialResult], cases: Mapping[str, Case]) -> list[CaseChange]:
    """Make sure every row's case is there with the same prompt; list what else changed.

    Raises:
        RescoreRefusedError: A row's case is gone, its prompt changed, or the row did not
            record its prompt (a run too old to check).
    """
    changes: dict[str, CaseChange] = {}
    for row in rows:
        case = cases.get(row.case_id)
        if case is None:
            raise RescoreRefusedError(
                f"case {row.case_id!r} is in the run but not in its case files: re-run it"
            )
        if row.prompt is None:
            raise RescoreRefusedError(
                f"case {row.case_id!r}: the run did not record its prompt, so a change "
                "cannot be ruled out: re-run it"
            )
        if row.prompt != case.prompt:
            raise RescoreRefusedError(
                f"case {row.case_id!r}: its prompt changed since the run; the planner "
                "never saw the new one: re-run it"
            )
        fields = tuple(
            name
            for name, changed in (
                ("expected", row.expected != case.expected),
                ("category", row.category != case.category),
                ("tags", row.tags != list(case.tags)),
            )
            if changed
        )
        if fields and row.case_id not in changes:
            changes[row.case_id] = CaseChange(row.case_id, fields)
    return sorted(changes.values(), key=lambda change: change.case_id)


async def rescore_row(row: TrialResult, case: Case, orchestrator: Orchestrator) -> TrialResult:
    """`row` judged again against `case` (whose prompt is the row's; see `check_cases`)."""
    failure = _FAILURES.get(row.outcome)
    plan = row.plan
    refusal = refusal_of(plan, case_tools(case)) if plan is not None else None
    update: dict[str, object] = {
        "category": case.category,
        "tags": list(case.tags),
        "expected": case.expected,
    }
    run: Execution | None = None
    if failure is None and plan is not None:
        accepted = refusal is None or accepted_despite_validation(case, plan, refusal)
        if not accepted:  # a fresh trial would not have executed it
            update |= {"run_status": None, "run_output": None, "execute_ms": 0.0}
            update["error"] = one_line_error(refusal) if refusal is not None else row.error
        elif row.run_status is not None:
            run = Execution(RunStatus(row.run_status), row.run_output)
        else:  # accepted now, never executed: execute it as the trial would have
            record = await orchestrator.execute(plan, case_tools(case), prompt=case.prompt)
            run = Execution(record.status, record.output)
            update |= {
                "run_status": record.status.value,
                "run_output": record.output,
                "execute_ms": record.execute_ms,
                "error": one_line_error(refusal) if refusal is not None else run_error(record),
            }
    judgement = judge(case, plan, failure=failure, refusal=refusal, run=run)
    return row.model_copy(update={**update, **asdict(judgement)})


async def rescore_rows(
    rows: Sequence[TrialResult], cases: Mapping[str, Case], orchestrator: Orchestrator
) -> list[TrialResult]:
    """Every row judged again against its case by id, in the same order.

    Args:
        rows: The stored rows.
        cases: The cases by id (variants included), as the case files are now.
        orchestrator: Executes a plan that must now run and never did.

    Raises:
        RescoreRefusedError: See `check_cases`.
    """
    check_cases(rows, cases)
    return [await rescore_row(row, cases[row.case_id], orchestrator) for row in rows]


def outcome_changes(old: Sequence[TrialResult], new: Sequence[TrialResult]) -> list[OutcomeChange]:
    """The trials whose outcome class differs between two lists of the same rows."""
    return [
        OutcomeChange(a.case_id, a.planner, a.repeat, a.outcome, b.outcome)
        for a, b in zip(old, new, strict=True)
        if a.outcome is not b.outcome
    ]
