"""A real decomposed trial's transcript, against the real local model (SmolLM2)."""

from __future__ import annotations

import json

import pytest

from crane_bench.evals.cases import Case
from crane_bench.evals.transcripts import PlanEvent, ScoreEvent, build_transcript
from crane_bench.evals.trial import run_trial
from crane_bench.runtime.local_llm import LLMEndpoint, make_openai_client
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.transcript import ClausesEvent, Recorder

pytestmark = [pytest.mark.integration, pytest.mark.llm]

CASE = Case.model_validate(
    {
        "id": "real-two-clauses",
        "prompt": "calculate 12 * 3 and then show my list",
        "category": "multi_step",
        "expected": {
            "steps": [
                {"tool": "calculator", "input": {"expression": "12 * 3"}},
                {"tool": "todo_store", "input": {"action": "list"}},
            ]
        },
    }
)


async def test_a_real_decomposed_trial_is_recorded_call_by_call(
    local_llm_endpoint: LLMEndpoint,
) -> None:
    client = make_openai_client(local_llm_endpoint, timeout_s=600)
    planner = DecomposedLLMPlanner(
        client,
        model=local_llm_endpoint.model,
        kind=local_llm_endpoint.kind,
        # Generous: a shared 2-core machine can take minutes per call.
        config=LLMPlannerConfig(timeout_s=600, max_retries=0, local=True),
    )
    recorder = Recorder()
    try:
        row = await run_trial(
            CASE,
            planner,
            planner_name="llm",
            repeat=0,
            orchestrator=Orchestrator(),
            timeout_s=1300,
            recorder=recorder,
        )
    finally:
        await client.close()

    transcript = build_transcript(row, recorder)
    clauses = transcript.events[0]
    assert isinstance(clauses, ClausesEvent)
    assert clauses.clauses == ["calculate 12 * 3", "show my list"]
    calls = transcript.model_calls()
    assert [c.purpose for c in calls] == clauses.clauses
    for call in calls:
        assert (call.outcome, call.status, call.cached) == ("ok", 200, False)
        assert call.endpoint.startswith(local_llm_endpoint.base_url.rstrip("/"))
        assert call.grammar is not None
        assert "root ::=" in call.grammar.text
        assert call.raw_response is not None
        body = json.loads(call.raw_response.text)
        answered = body["choices"][0].get("message", {}).get("content") or body["choices"][0].get(
            "text"
        )
        assert call.answer is not None
        assert call.answer.text == answered  # the real model's words, as it sent them
        assert call.tokens_in is not None
        assert call.tokens_in > 0
        assert call.latency_ms > 0
    plan = next(e for e in transcript.events if isinstance(e, PlanEvent))
    assert plan.raw_output is not None
    score = transcript.events[-1]
    assert isinstance(score, ScoreEvent)
    assert score.outcome == row.outcome.value
    assert (score.mismatches == []) == (row.outcome.value == "correct")
