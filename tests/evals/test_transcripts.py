"""Trial transcripts: what a recorded trial holds, against a fake llama.cpp server over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import openai
import pytest

from crane_bench.evals.cases import Case
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.transcripts import (
    PlanEvent,
    PlannerErrorEvent,
    ScoreEvent,
    ToolStepEvent,
    Transcript,
    ValidationEvent,
    build_transcript,
)
from crane_bench.evals.trial import run_trial
from crane_bench.runtime.models import FallbackReason, Plan, PlanMeta, PlanResult
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.settings import HybridStrategy
from crane_bench.runtime.tools import default_tools
from crane_bench.runtime.transcript import (
    ClausesEvent,
    DecisionEvent,
    ExamplesEvent,
    ModelVerdictEvent,
    Recorder,
    RulesEvent,
)
from tests.runtime.planners.fake_llama import FakeLlama
from tests.runtime.planners.fake_openai import (
    FAKE_KEY,
    FakeOpenAI,
    SleepRecorder,
    error_response,
    plan_json,
)

MULTI = Case.model_validate(
    {
        "id": "calc-then-list",
        "prompt": "calculate 2 + 2 and then show my list",
        "category": "multi_step",
        "expected": {
            "steps": [
                {"tool": "calculator", "input": {"expression": "2 + 2"}},
                {"tool": "todo_store", "input": {"action": "list"}},
            ]
        },
    }
)


@pytest.fixture
async def llama() -> AsyncIterator[FakeLlama]:
    fake = FakeLlama()
    yield fake
    await fake.aclose()


def client_for(handler: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> openai.AsyncOpenAI:
    """A client whose server is an async handler (so a trial's timeout can cut in)."""
    return openai.AsyncOpenAI(
        api_key=FAKE_KEY,
        base_url="http://127.0.0.1:9/v1",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),  # type: ignore[arg-type]
    )


def decomposed(
    fake: FakeLlama, client: openai.AsyncOpenAI | None = None, **config: Any
) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        client or fake.client(),
        model="tiny",
        kind="completion",
        config=LLMPlannerConfig(local=True, **config),
        sleep=SleepRecorder(),
    )


async def recorded(
    planner: Planner, case: Case = MULTI, *, timeout_s: float = 10.0
) -> tuple[TrialResult, Transcript]:
    recorder = Recorder(secrets=[FAKE_KEY])
    row = await run_trial(
        case,
        planner,
        planner_name=planner.name,
        repeat=0,
        orchestrator=Orchestrator(),
        timeout_s=timeout_s,
        recorder=recorder,
    )
    transcript = build_transcript(row, recorder)
    # Every transcript survives its own file format.
    assert Transcript.model_validate_json(transcript.model_dump_json()) == transcript
    return row, transcript


def kinds(transcript: Transcript) -> list[str]:
    return [event.kind for event in transcript.events]


async def test_a_decomposed_trial_holds_every_call_in_order_with_grammar_and_answers(
    llama: FakeLlama,
) -> None:
    llama.enqueue(
        error_response(503, "busy"),  # the first clause's first attempt: retried
        " yes\ncalculator\nExpression: 2 + 3\n",
        " yes\ntodo_list\n",
    )

    row, transcript = await recorded(decomposed(llama))

    assert row.outcome is OutcomeClass.WRONG_ARGS
    assert kinds(transcript) == [
        "clauses",
        "examples",
        "model_call",
        "model_call",
        "examples",
        "model_call",
        "plan",
        "validation",
        "tool_step",
        "tool_step",
        "score",
    ]
    clauses = transcript.events[0]
    assert isinstance(clauses, ClausesEvent)
    assert clauses.clauses == ["calculate 2 + 2", "show my list"]
    examples = transcript.events[1]
    assert isinstance(examples, ExamplesEvent)
    assert examples.clause == "calculate 2 + 2"
    assert examples.examples  # shown to the model: they are in the prompt below

    calls = transcript.model_calls()
    sent = [json.loads(request.content) for request in llama.requests]
    assert len(calls) == len(sent) == 3
    for call, body in zip(calls, sent, strict=True):
        # What the transcript says was sent is what the server received.
        assert call.prompt is not None
        assert call.prompt.text == body["prompt"]
        assert call.grammar is not None
        assert call.grammar.text == body["grammar"]
        assert call.params["repeat_penalty"] == 1.0
        assert call.endpoint == "http://127.0.0.1:9/v1/completions"
        assert call.model == "tiny"
        assert call.prompt.text.endswith("Answer:")
        assert examples.examples[-1].request in calls[0].prompt.text  # type: ignore[union-attr]
    assert [c.purpose for c in calls] == ["calculate 2 + 2", "calculate 2 + 2", "show my list"]
    assert [c.attempt for c in calls] == [1, 2, 1]
    assert [(c.outcome, c.status) for c in calls] == [
        ("http_error", 503),
        ("ok", 200),
        ("ok", 200),
    ]
    assert calls[0].raw_response is not None
    assert "busy" in calls[0].raw_response.text
    assert [c.answer.text if c.answer else None for c in calls] == [
        None,
        " yes\ncalculator\nExpression: 2 + 3\n",
        " yes\ntodo_list\n",
    ]
    assert calls[1].raw_response is not None
    assert json.loads(calls[1].raw_response.text)["choices"][0]["text"] == calls[1].answer.text  # type: ignore[union-attr]
    assert (calls[1].tokens_in, calls[1].tokens_out, calls[1].cached) == (100, 7, False)
    assert all(c.latency_ms > 0 for c in calls)
    assert [e.at_ms for e in transcript.events] == sorted(e.at_ms for e in transcript.events)

    score = transcript.events[-1]
    assert isinstance(score, ScoreEvent)
    assert score.outcome == "wrong_args"
    (mismatch,) = score.mismatches
    assert mismatch.field == "step 1 input.expression"
    assert mismatch.why == 'expression "2 + 3" = 5, expected "2 + 2" = 4'
    steps = [e for e in transcript.events if isinstance(e, ToolStepEvent)]
    assert [(s.tool, s.status) for s in steps] == [
        ("calculator", "completed"),
        ("todo_store", "completed"),
    ]
    assert steps[0].output is not None
    assert steps[0].output.text == "5"


def hybrid(fake: FakeLlama, strategy: HybridStrategy) -> HybridPlanner:
    return HybridPlanner(
        llm=decomposed(fake, max_retries=1),
        pattern=PatternPlanner(),
        tools=default_tools(),
        strategy=strategy,
    )


async def test_a_hybrid_fallback_holds_the_failed_calls_and_the_reason(llama: FakeLlama) -> None:
    llama.enqueue(error_response(500, "model crashed"), error_response(500, "model crashed"))

    row, transcript = await recorded(hybrid(llama, "llm-first"))

    assert row.fallback_reason == "model_error"
    assert row.outcome is OutcomeClass.CORRECT  # the rules' plan was right
    rules = transcript.events[0]
    assert isinstance(rules, RulesEvent)
    assert rules.confident
    assert [c.text for c in rules.clauses] == ["calculate 2 + 2", "show my list"]
    calls = transcript.model_calls()
    assert [(c.planner, c.attempt, c.status, c.outcome) for c in calls] == [
        ("llm", 1, 500, "http_error"),
        ("llm", 2, 500, "http_error"),
    ]
    assert all("model crashed" in (c.raw_response.text if c.raw_response else "") for c in calls)
    (verdict,) = [e for e in transcript.events if isinstance(e, ModelVerdictEvent)]
    assert not verdict.used
    assert verdict.fallback is not None
    assert verdict.fallback.reason is FallbackReason.MODEL_ERROR
    assert "HTTP 500" in verdict.fallback.detail
    (decision,) = [e for e in transcript.events if isinstance(e, DecisionEvent)]
    assert decision.decision == "model failed (model_error): rules' plan"
    assert decision.strategy == "llm-first"
    assert decision.fallback == verdict.fallback
    plan = next(e for e in transcript.events if isinstance(e, PlanEvent))
    assert plan.planner == "hybrid"
    assert plan.model_calls == 1  # one call; its retry is an attempt, seen only here


async def test_a_clause_merge_hybrid_records_each_clause_and_what_it_kept(
    llama: FakeLlama,
) -> None:
    llama.enqueue(" yes\ntodo_list\n")
    case = Case.model_validate(
        {
            "id": "calc-then-gibberish",
            "prompt": "calculate 2 + 2 and then show my todo things",
            "category": "multi_step",
            "expected": {"steps": [{"tool": "calculator", "input": {"expression": "2 + 2"}}]},
        }
    )

    _, transcript = await recorded(hybrid(llama, "clause-merge"), case)

    rules = transcript.events[0]
    assert isinstance(rules, RulesEvent)
    assert [c.steps is not None for c in rules.clauses] == [True, False]
    (call,) = transcript.model_calls()  # only the clause no rule served is asked
    assert call.purpose == "show my todo things"
    (verdict,) = [e for e in transcript.events if isinstance(e, ModelVerdictEvent)]
    assert (verdict.asked, verdict.used) == ("show my todo things", True)
    assert [s.tool for s in verdict.steps] == ["todo_store"]
    decision = next(e for e in transcript.events if isinstance(e, DecisionEvent))
    assert decision.decision == "per clause: rules; model (1 step(s))"


async def test_a_deadline_that_cuts_a_call_leaves_it_recorded_as_cancelled(
    llama: FakeLlama,
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        raise AssertionError("unreachable")

    client = client_for(slow)
    try:
        row, transcript = await recorded(decomposed(llama, client), timeout_s=0.3)
    finally:
        await client.close()

    assert row.outcome is OutcomeClass.TIMEOUT
    (call,) = transcript.model_calls()
    assert call.outcome == "cancelled"
    assert call.status is None
    error = next(e for e in transcript.events if isinstance(e, PlannerErrorEvent))
    assert error.error_type == "TimeoutError"
    assert transcript.events[-1].kind == "score"


async def test_a_one_shot_llm_trial_holds_the_schema_and_the_invalid_answer() -> None:
    fake = FakeOpenAI()
    fake.enqueue(f"I would use the calculator, key {FAKE_KEY}")
    planner = LLMPlanner(
        fake.client(),
        model="gpt-4o-mini",
        tools=default_tools().describe(),
        config=LLMPlannerConfig(response_format="json_schema"),
        sleep=SleepRecorder(),
    )
    try:
        row, transcript = await recorded(planner)
    finally:
        await fake.aclose()

    assert row.outcome is OutcomeClass.INVALID_PLAN
    (call,) = transcript.model_calls()
    assert call.messages is not None
    assert [m.role for m in call.messages] == ["system", "user"]
    assert call.messages[1].content.text == MULTI.prompt
    assert call.response_format is not None
    assert '"json_schema"' in call.response_format.text
    assert call.answer is not None
    assert call.answer.text.startswith("I would use the calculator")
    error = next(e for e in transcript.events if isinstance(e, PlannerErrorEvent))
    assert error.error_type == "InvalidPlanError"
    assert "not JSON" in error.message
    assert FAKE_KEY not in transcript.model_dump_json()  # the model echoed it: masked


async def test_a_user_planner_is_recorded_by_the_harness_alone() -> None:
    class Mine:
        name = "mine"

        async def plan(self, prompt: str) -> PlanResult:
            return PlanResult(plan=Plan(steps=[]), meta=PlanMeta(planner=self.name))

    row, transcript = await recorded(Mine())

    assert row.outcome is OutcomeClass.FALSE_ABSTAIN
    assert kinds(transcript) == ["plan", "validation", "score"]
    score = transcript.events[-1]
    assert isinstance(score, ScoreEvent)
    assert score.mismatches[0].field == "steps"
    assert score.mismatches[0].why == "2 step(s) expected, 0 planned"


async def test_a_trial_without_a_recorder_records_nothing(llama: FakeLlama) -> None:
    llama.enqueue(" yes\ncalculator\nExpression: 2 + 2\n", " yes\ntodo_list\n")
    planner = decomposed(llama)

    row = await run_trial(
        MULTI, planner, planner_name="llm", repeat=0, orchestrator=Orchestrator(), timeout_s=10
    )

    assert row.outcome is OutcomeClass.CORRECT


async def test_concurrent_trials_keep_their_own_calls(llama: FakeLlama) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["prompt"]
        await asyncio.sleep(0.05 if "2 + 2" in prompt.rsplit("Request:", 1)[1] else 0.01)
        text = " yes\ncalculator\nExpression: 2 + 2\n" if "2 + 2" in prompt else " yes\ntodo_list\n"
        return httpx.Response(200, json={"choices": [{"text": text, "finish_reason": "stop"}]})

    client = client_for(answer)
    planner = decomposed(llama, client)
    calc = MULTI.model_copy(update={"id": "calc", "prompt": "calculate 2 + 2"})
    show = MULTI.model_copy(update={"id": "show", "prompt": "show my list"})

    (_, first), (_, second) = await asyncio.gather(recorded(planner, calc), recorded(planner, show))
    await client.close()

    assert [c.purpose for c in first.model_calls()] == ["calculate 2 + 2"]
    assert [c.purpose for c in second.model_calls()] == ["show my list"]


async def test_validation_failure_is_recorded_with_its_reason(llama: FakeLlama) -> None:
    fake = FakeOpenAI()
    fake.enqueue(plan_json(("calculator", {"expression": "six times seven"})))
    planner = LLMPlanner(
        fake.client(), model="m", tools=default_tools().describe(), sleep=SleepRecorder()
    )
    try:
        row, transcript = await recorded(planner)
    finally:
        await fake.aclose()

    assert row.outcome is OutcomeClass.INVALID_PLAN
    (validation,) = [e for e in transcript.events if isinstance(e, ValidationEvent)]
    assert not validation.ok
    assert validation.reason == "invalid_input"
    assert "tool_step" not in kinds(transcript)
