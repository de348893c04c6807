"""Every malformed HTTP 200 from the model is a typed planner error, never a crash.

One parametrised test per planner over every shape of `fake_llama.MALFORMED`: the
one-shot and the decomposed planners raise `MalformedResponseError` (an
`LLMResponseError`) with the plan's metadata and without asking again; the hybrid falls
back to the rules and records why; a recorded plan records the attempt as `malformed`.
Model text that is JSON too big or too deep to read is an invalid plan, not a crash.
Token counts no call could have taken are unknown: they add no tokens and no cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crane_bench.runtime.errors import InvalidPlanError, MalformedResponseError
from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.models import FallbackReason
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.planners.pricing import estimate_cost
from crane_bench.runtime.tools import default_tools
from crane_bench.runtime.transcript import ModelCallEvent, Recorder
from tests.runtime.planners.fake_llama import DEEP_JSON, HUGE_INTEGER, MALFORMED, FakeLlama, tokens
from tests.runtime.planners.fake_openai import FAKE_KEY, SleepRecorder

SHAPES = list(MALFORMED)
PROMPT = "calculate 2 + 2"
# More than any call of these planners sends or may generate; 9 million is below the
# 10-million clamp that used to keep it, and price it ($6.75 at gpt-4o-mini's list price).
ABSURD = [10**30, 2**63, 9_000_000]
HOSTED = "gpt-4o-mini"
UNREADABLE_TEXT = {
    "a 5,000-digit integer": f'{{"steps": [{{"tool": "calculator", "input": {HUGE_INTEGER}}}]}}',
    "nested 200,000 deep": DEEP_JSON,
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeLlama]:
    server = FakeLlama()
    yield server
    await server.aclose()


def one_shot(fake: FakeLlama, model: str = "fake-model") -> LLMPlanner:
    return LLMPlanner(
        fake.client(),
        model=model,
        tools=default_tools().describe(),
        config=LLMPlannerConfig(local=model == "fake-model"),
        sleep=SleepRecorder(),
    )


def decomposed(fake: FakeLlama, kind: ModelKind, model: str = "fake-model") -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        fake.client(),
        model=model,
        kind=kind,
        config=LLMPlannerConfig(local=model == "fake-model"),
        sleep=SleepRecorder(),
    )


LLM_PLANNERS = {
    "oneshot": one_shot,
    "decomposed-completion": lambda fake: decomposed(fake, "completion"),
    "decomposed-chat": lambda fake: decomposed(fake, "chat"),
}


@pytest.mark.parametrize("planner", list(LLM_PLANNERS))
@pytest.mark.parametrize("shape", SHAPES)
async def test_a_malformed_answer_is_a_typed_error(
    fake: FakeLlama, shape: str, planner: str
) -> None:
    fake.enqueue(MALFORMED[shape])
    llm: Planner = LLM_PLANNERS[planner](fake)

    with pytest.raises(MalformedResponseError, match=r"^malformed model response: ") as caught:
        await llm.plan(PROMPT)

    assert caught.value.meta is not None
    assert caught.value.meta.planner == llm.name
    assert len(fake.requests) == 1  # a broken server is not asked again
    assert FAKE_KEY not in str(caught.value)


@pytest.mark.parametrize("planner", list(LLM_PLANNERS))
@pytest.mark.parametrize("shape", SHAPES)
async def test_the_hybrid_falls_back_on_a_malformed_answer(
    fake: FakeLlama, shape: str, planner: str
) -> None:
    fake.enqueue(MALFORMED[shape])
    pattern = PatternPlanner()
    hybrid = HybridPlanner(
        llm=LLM_PLANNERS[planner](fake),
        pattern=pattern,
        tools=default_tools(),
        strategy="llm-first",  # asks the model even where the rules read the whole prompt
    )

    result = await hybrid.plan(PROMPT)

    assert result.plan == (await pattern.plan(PROMPT)).plan
    assert result.meta.fallback is not None
    assert result.meta.fallback.reason == FallbackReason.MODEL_ERROR
    assert result.meta.fallback.detail.startswith("malformed model response")


@pytest.mark.parametrize("planner", list(LLM_PLANNERS))
@pytest.mark.parametrize("shape", SHAPES)
async def test_a_malformed_answer_is_recorded_as_such(
    fake: FakeLlama, shape: str, planner: str
) -> None:
    fake.enqueue(MALFORMED[shape])
    recorder = Recorder()

    with pytest.raises(MalformedResponseError):
        await LLM_PLANNERS[planner](fake).plan_recorded(PROMPT, recorder)

    (call,) = [event for event in recorder.events if isinstance(event, ModelCallEvent)]
    assert (call.outcome, call.status) == ("malformed", 200)


@pytest.mark.parametrize("planner", list(LLM_PLANNERS))
@pytest.mark.parametrize("text", list(UNREADABLE_TEXT))
async def test_unreadable_json_in_the_model_text_is_an_invalid_plan(
    fake: FakeLlama, text: str, planner: str
) -> None:
    fake.enqueue(UNREADABLE_TEXT[text])

    with pytest.raises(InvalidPlanError) as caught:
        await LLM_PLANNERS[planner](fake).plan(PROMPT)

    assert caught.value.reason in ("invalid_json", "schema")
    assert caught.value.meta is not None


@pytest.mark.parametrize("planner", list(LLM_PLANNERS))
@pytest.mark.parametrize("text", list(UNREADABLE_TEXT))
async def test_the_hybrid_falls_back_on_unreadable_model_text(
    fake: FakeLlama, text: str, planner: str
) -> None:
    fake.enqueue(UNREADABLE_TEXT[text])
    pattern = PatternPlanner()
    hybrid = HybridPlanner(
        llm=LLM_PLANNERS[planner](fake),
        pattern=pattern,
        tools=default_tools(),
        strategy="llm-first",
    )

    result = await hybrid.plan(PROMPT)

    assert result.plan == (await pattern.plan(PROMPT)).plan
    assert result.meta.fallback is not None
    assert result.meta.fallback.reason == FallbackReason.INVALID_JSON


@pytest.mark.parametrize("count", ABSURD)
async def test_implausible_token_counts_are_unknown_and_cost_nothing(
    fake: FakeLlama, count: int
) -> None:
    fake.enqueue(tokens(count, count), tokens(count, 3))
    recorder = Recorder()

    one = await one_shot(fake, HOSTED).plan_recorded("tell me a joke", recorder)
    split = await decomposed(fake, "completion", HOSTED).plan_recorded(
        "add milk to my list", recorder
    )

    assert (one.meta.tokens_in, one.meta.tokens_out, one.meta.cost_usd) == (0, 0, 0.0)
    assert (split.meta.tokens_in, split.meta.tokens_out) == (0, 3)
    assert split.meta.cost_usd == estimate_cost(HOSTED, 0, 3, local=False)
    calls = [event for event in recorder.events if isinstance(event, ModelCallEvent)]
    assert [(call.tokens_in, call.tokens_out) for call in calls] == [(None, None), (None, 3)]


async def test_a_well_formed_answer_still_plans(fake: FakeLlama) -> None:
    fake.enqueue(tokens(120, 30))

    result = await one_shot(fake).plan("tell me a joke")

    assert result.plan.abstains
    assert (result.meta.tokens_in, result.meta.tokens_out) == (120, 30)
