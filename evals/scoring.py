"""Classify one trial: what the planner did, scored against the case. A pure function.

`score_trial` turns an `Observation` (the plan or the planner's error, the validation
verdict, the run record) into a `TrialResult`. Exactly one outcome class applies; the
first rule that matches wins (the order of `OutcomeClass`):

1. planner_error: the planner raised (any error other than `InvalidPlanError`).
2. timeout: the per-case timeout fired.
3. invalid_plan: `InvalidPlanError` from the planner or from `validate_plan`.
4. false_action: the case expects no tool call, the plan has steps.
5. false_abstain: the case expects steps, the plan has none.
6. wrong_step_count, 7. wrong_tool, 8. wrong_args: `compare_plan` against the case.
9. outcome_mismatch: the plan is right but running it did not give what the case
   expects: the last step's output does not match `expected.outcome`, or the run
   completed where `fails: true` asks for a clean failure, or it failed where it should not.
10. correct.

Plans the case itself calls for are never invalid. Some gold cases (tag
`input-validation`) expect a plan whose input the tool's model refuses, such as a todo id
of -1 or a title over 200 characters: the right answer is to pass the request on and let
the tool refuse it. `validate_plan` flags such a plan as `invalid_input`, so a plan that
matches the case's expected plan exactly is accepted despite that verdict
(`accepted_despite_validation`): it is executed, scored by its outcome, and counts as a
valid plan. Any other plan that fails validation is `invalid_plan` and is not executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue

from crane_bench.evals.cases import Case
from crane_bench.evals.matching import PlanComparison, compare_plan, match_outcome
from crane_bench.evals.perturbations.variants import VariantCase
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.runtime.errors import InvalidPlanError
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, RunRecord, RunStatus

_MAX_ERROR = 500


@dataclass(frozen=True)
class Observation:
    """What happened in one trial, before it is scored.

    Attributes:
        planner: The planner's name in this run.
        repeat: 0-based repeat index.
        result: The plan and its metadata, when the planner returned one.
        error: What the planner raised instead (a `PlannerError`, or an unexpected bug).
        timed_out: The per-case timeout fired.
        validation_error: `validate_plan`'s verdict on `result.plan`, if it failed.
        run: The executed run, when the plan was executed.
        latency_ms: Planning time, used when the planner reported none.
        cached: The model's answers all came from the response cache.
    """

    planner: str
    repeat: int = 0
    result: PlanResult | None = None
    error: BaseException | None = None
    timed_out: bool = False
    validation_error: InvalidPlanError | None = None
    run: RunRecord | None = None
    latency_ms: float = 0.0
    cached: bool = False


def accepted_despite_validation(case: Case, plan: Plan, error: InvalidPlanError) -> bool:
    """True when `plan` failed input validation but is exactly the plan the case expects."""
    return (
        error.reason == "invalid_input"
        and compare_plan(case.expected.steps, plan.steps).exact_match
    )


Failure = Literal["planner_error", "timeout"]
"""A trial that ended before its plan could be judged: the planner raised, or time ran out."""


@dataclass(frozen=True)
class Execution:
    """What running a plan gave: all that scoring reads of a run."""

    status: RunStatus
    output: JsonValue = None


@dataclass(frozen=True)
class Judgement:
    """What scoring decides about a trial, apart from what it cost: its class and flags."""

    outcome: OutcomeClass
    tool_correct: bool
    step_count_correct: bool
    args_correct: bool
    plan_correct: bool
    end_to_end_correct: bool
    valid_plan: bool
    expected_abstain: bool
    abstained: bool


def _outcome_matches(case: Case, run: Execution | None) -> bool:
    if run is None:
        return False
    expected = case.expected
    if expected.fails:
        return run.status is RunStatus.FAILED
    if run.status is not RunStatus.COMPLETED:
        return False
    return expected.outcome is None or match_outcome(expected.outcome, run.output)


def is_valid(case: Case, plan: Plan | None, refusal: InvalidPlanError | None) -> bool:
    """A plan came back and passed validation, or is the case's own despite a refusal."""
    if plan is None:
        return False
    return refusal is None or accepted_despite_validation(case, plan, refusal)


def classify(  # noqa: PLR0911 - one return per rule reads as the ordered rule list
    case: Case,
    plan: Plan | None,
    *,
    failure: Failure | None,
    valid: bool,
    comparison: PlanComparison | None,
    run: Execution | None,
) -> OutcomeClass:
    """The outcome class of a trial, by the rules of this module's docstring."""
    if failure == "planner_error":
        return OutcomeClass.PLANNER_ERROR
    if failure == "timeout":
        return OutcomeClass.TIMEOUT
    if plan is None or comparison is None or not valid:
        return OutcomeClass.INVALID_PLAN
    expected = case.expected.steps
    if not expected and plan.steps:
        return OutcomeClass.FALSE_ACTION
    if expected and not plan.steps:
        return OutcomeClass.FALSE_ABSTAIN
    if not comparison.step_count_match:
        return OutcomeClass.WRONG_STEP_COUNT
    if not comparison.tools_match:
        return OutcomeClass.WRONG_TOOL
    if not comparison.args_match:
        return OutcomeClass.WRONG_ARGS
    if not _outcome_matches(case, run):
        return OutcomeClass.OUTCOME_MISMATCH
    return OutcomeClass.CORRECT


def judge(
    case: Case,
    plan: Plan | None,
    *,
    failure: Failure | None = None,
    refusal: InvalidPlanError | None = None,
    run: Execution | None = None,
) -> Judgement:
    """Judge a trial of `case` from what it produced: a pure function of its inputs.

    Flags compare the plan whenever one came back, whatever the outcome class, so a plan
    that was right but whose run timed out still counts for plan accuracy.

    Args:
        case: The case, with the expectations to judge against.
        plan: The plan the planner returned; None when it returned none.
        failure: The trial ended early (planner error or timeout).
        refusal: `validate_plan`'s verdict on the plan, if it refused it.
        run: What executing the plan gave; None when it was not executed.
    """
    comparison = compare_plan(case.expected.steps, plan.steps) if plan is not None else None
    valid = failure != "planner_error" and is_valid(case, plan, refusal)
    outcome = classify(case, plan, failure=failure, valid=valid, comparison=comparison, run=run)
    return Judgement(
        outcome=outcome,
        tool_correct=comparison is not None and comparison.tools_match,
        step_count_correct=comparison is not None and comparison.step_count_match,
        args_correct=comparison is not None and comparison.args_match,
        plan_correct=comparison is not None and comparison.exact_match,
        end_to_end_correct=outcome is OutcomeClass.CORRECT,
        valid_plan=valid,
        expected_abstain=not case.expected.steps,
        abstained=plan is not None and plan.abstains,
    )


def one_line_error(exc: BaseException) -> str:
    """`Type: message` on one line, cut to the length a row keeps."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:_MAX_ERROR]


def run_error(run: RunRecord) -> str | None:
    """A run's error as a row keeps it: one line, cut; None when the run had none."""
    if run.error is None:
        return None
    return f"{run.error.type}: {' '.join(run.error.message.split())}"[:_MAX_ERROR]


def _error_message(obs: Observation) -> str | None:
    if obs.error is not None:
        return one_line_error(obs.error)
    if obs.timed_out:
        return "TimeoutError: the per-case timeout fired"
    if obs.validation_error is not None:
        return one_line_error(obs.validation_error)
    if obs.run is not None:
        return run_error(obs.run)
    return None


def _meta(obs: Observation) -> PlanMeta | None:
    if obs.result is not None:
        return obs.result.meta
    meta = getattr(obs.error, "meta", None)
    return meta if isinstance(meta, PlanMeta) else None


def _failure(obs: Observation) -> Failure | None:
    if obs.error is not None and not isinstance(obs.error, InvalidPlanError):
        return "planner_error"
    return "timeout" if obs.timed_out else None


def score_trial(case: Case, obs: Observation) -> TrialResult:
    """Score one trial of `case`: its outcome class, correctness flags, costs and record."""
    plan = obs.result.plan if obs.result is not None else None
    run = obs.run
    judgement = judge(
        case,
        plan,
        failure=_failure(obs),
        refusal=obs.validation_error,
        run=Execution(run.status, run.output) if run is not None else None,
    )
    meta = _meta(obs)
    return TrialResult(
        case_id=case.id,
        planner=obs.planner,
        repeat=obs.repeat,
        category=case.category,
        tags=list(case.tags),
        prompt=case.prompt,
        expected=case.expected,
        source_case=case.source_case if isinstance(case, VariantCase) else None,
        perturbation=case.perturbation if isinstance(case, VariantCase) else None,
        outcome=judgement.outcome,
        tool_correct=judgement.tool_correct,
        step_count_correct=judgement.step_count_correct,
        args_correct=judgement.args_correct,
        plan_correct=judgement.plan_correct,
        end_to_end_correct=judgement.end_to_end_correct,
        valid_plan=judgement.valid_plan,
        expected_abstain=judgement.expected_abstain,
        abstained=judgement.abstained,
        latency_ms=meta.latency_ms if meta is not None and meta.latency_ms else obs.latency_ms,
        execute_ms=run.execute_ms if run is not None else 0.0,
        tokens_in=meta.tokens_in if meta is not None else 0,
        tokens_out=meta.tokens_out if meta is not None else 0,
        tokens_cached=meta.tokens_cached if meta is not None else None,
        cost_usd=meta.cost_usd if meta is not None else 0.0,
        model=meta.model if meta is not None else None,
        fallback_reason=meta.fallback.reason.value if meta and meta.fallback else None,
        model_calls=meta.model_calls if meta is not None else 0,
        decision=meta.decision if meta is not None else None,
        cached=obs.cached,
        plan=plan,
        raw_output=meta.raw_output if meta is not None else None,
        run_status=run.status.value if run is not None else None,
        run_output=run.output if run is not None else None,
        error=_error_message(obs),
    )
