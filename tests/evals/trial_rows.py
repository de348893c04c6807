"""Hand-built trial rows for the metrics, comparison and gate tests."""

from __future__ import annotations

from collections.abc import Sequence

from crane_bench.evals.results import OutcomeClass, TrialResult

# Scoring flags per outcome class: tool, step count, args, plan, end to end, valid plan.
FLAGS: dict[OutcomeClass, tuple[bool, bool, bool, bool, bool, bool]] = {
    OutcomeClass.CORRECT: (True, True, True, True, True, True),
    OutcomeClass.WRONG_TOOL: (False, True, False, False, False, True),
    OutcomeClass.WRONG_ARGS: (True, True, False, False, False, True),
    OutcomeClass.WRONG_STEP_COUNT: (False, False, False, False, False, True),
    OutcomeClass.FALSE_ABSTAIN: (False, False, False, False, False, True),
    OutcomeClass.FALSE_ACTION: (False, False, False, False, False, True),
    OutcomeClass.INVALID_PLAN: (False, False, False, False, False, False),
    OutcomeClass.PLANNER_ERROR: (False, False, False, False, False, False),
    OutcomeClass.TIMEOUT: (False, False, False, False, False, False),
    OutcomeClass.OUTCOME_MISMATCH: (True, True, True, True, False, True),
}


def trial(
    case_id: str,
    outcome: OutcomeClass = OutcomeClass.CORRECT,
    *,
    planner: str = "pattern",
    category: str = "calculator",
    repeat: int = 0,
    expected_abstain: bool = False,
    abstained: bool | None = None,
    latency_ms: float = 1.0,
    tokens_in: int = 0,
    tokens_out: int = 0,
    cost_usd: float = 0.0,
    fallback_reason: str | None = None,
    model_calls: int = 0,
    cached: bool = False,
) -> TrialResult:
    """A row whose flags agree with its outcome class."""
    tool, steps, args, plan, end_to_end, valid = FLAGS[outcome]
    if abstained is None:
        abstained = outcome is OutcomeClass.FALSE_ABSTAIN
    return TrialResult(
        case_id=case_id,
        planner=planner,
        repeat=repeat,
        category=category,
        outcome=outcome,
        tool_correct=tool,
        step_count_correct=steps,
        args_correct=args,
        plan_correct=plan,
        end_to_end_correct=end_to_end,
        valid_plan=valid,
        expected_abstain=expected_abstain,
        abstained=abstained,
        latency_ms=latency_ms,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost_usd,
        model_calls=model_calls,
        cached=cached,
        fallback_reason=fallback_reason,
        raw_output="x" * 50,
    )


def scored(
    planner: str,
    right: Sequence[bool],
    *,
    category: str = "calculator",
    latency_ms: float = 1.0,
    repeat: int = 0,
) -> list[TrialResult]:
    """One row per case `c0, c1, ...`: correct where `right` says so, else a wrong tool."""
    return [
        trial(
            f"c{i}",
            OutcomeClass.CORRECT if ok else OutcomeClass.WRONG_TOOL,
            planner=planner,
            category=category,
            latency_ms=latency_ms,
            repeat=repeat,
        )
        for i, ok in enumerate(right)
    ]
