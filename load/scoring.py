"""Score a run the service finished against its gold case, with the eval's own scorer.

The eval plans, validates and executes a case in process; under load the service does
the planning and executing, and its run record comes back over HTTP. `score_run` turns
that record into the eval's `Observation` and hands it to `evals.scoring.score_trial`,
so a run under load is classified by exactly the rules of an eval trial:

- a run the service failed as a `planner_error` is the planner's error (an
  `InvalidPlanError` when the planner refused its own plan), with the run's planner
  metadata (model calls, fallback);
- a run that hit the service's run timeout is a `timeout`;
- otherwise the plan is validated against the case's tools as the eval does (a plan the
  eval would not execute is `invalid_plan`, whatever the service made of it), and the
  run's outcome is scored. The service ran it on tools set up as the case says (the
  request's `setup`), so the outcome is the one the eval would see.
"""

from __future__ import annotations

from crane_bench.evals.cases import Case
from crane_bench.evals.results import TrialResult
from crane_bench.evals.scoring import Observation, accepted_despite_validation, score_trial
from crane_bench.evals.trial import case_tools, refusal_of
from crane_bench.runtime.errors import InvalidPlanError, PlannerError
from crane_bench.runtime.models import PlanMeta, PlanResult, RunRecord

INVALID_PLAN = "InvalidPlanError"


def _planner_error(run: RunRecord, meta: PlanMeta) -> PlannerError:
    """The planner's error as the eval would have caught it, rebuilt from the record."""
    message = run.error.message if run.error is not None else "planner error"
    if run.error is not None and run.error.type == INVALID_PLAN:
        return InvalidPlanError(message, reason="schema", meta=meta)
    return PlannerError(message, meta=meta)


def _validation(case: Case, run: RunRecord) -> InvalidPlanError | None:
    return None if run.plan is None else refusal_of(run.plan, case_tools(case))


def score_run(case: Case, run: RunRecord, *, planner: str, repeat: int = 0) -> TrialResult:
    """Score the service's finished `run` of `case` as one eval trial of `planner`.

    Args:
        case: The gold case whose prompt and setup the run was submitted with.
        run: The terminal run record (completed or failed) from `GET /api/v1/runs/{id}`.
        planner: The label the run asked for (the row's `planner`).
        repeat: The row's repeat index.
    """
    meta = run.planner or PlanMeta(planner=planner)
    kind = run.error.kind if run.error is not None else None
    if kind == "planner_error" or (run.plan is None and kind not in (None, "run_timeout")):
        observation = Observation(
            planner=planner,
            repeat=repeat,
            error=_planner_error(run, meta),
            latency_ms=run.plan_ms,
        )
        return score_trial(case, observation)
    timed_out = kind == "run_timeout"
    result = PlanResult(plan=run.plan, meta=meta) if run.plan is not None else None
    refusal = _validation(case, run)
    valid = run.plan is not None and (
        refusal is None or accepted_despite_validation(case, run.plan, refusal)
    )
    observation = Observation(
        planner=planner,
        repeat=repeat,
        result=result,
        timed_out=timed_out,
        validation_error=refusal,
        run=run if valid and not timed_out else None,
        latency_ms=run.plan_ms,
    )
    return score_trial(case, observation)


def score_unserved(case: Case, *, planner: str, failure: str, repeat: int = 0) -> TrialResult:
    """Score a run of `case` the service never answered (refused, lost, or not finished).

    The user got no answer, so the trial counts as a timeout, wrong on every accuracy:
    leaving it out would measure accuracy only on the runs the service could still serve,
    the ones overload spares.
    """
    row = score_trial(case, Observation(planner=planner, repeat=repeat, timed_out=True))
    return row.model_copy(update={"error": f"not served: {failure}"})
