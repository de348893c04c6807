"""Every malformed HTTP 200 from the model is a typed planner error, never a crash.

One parametrised test per planner over every shape of `fake_llama.MALFORMED`: the
one-shot and the decomposed planners raise `MalformedResponseError` (an
`LLMResponseError`) with the plan's metadata and without asking again; the hybrid falls
back to the rules and records why. Absurd token counts are clamped, not stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crane_bench.runtime.errors import MalformedResponseError
from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.models import FallbackReason
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.model_answers import MAX_TOKENS_PER_CALL
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_llama import MALFORMED, FakeLlama, tokens
from tests.runtime.planners.fake_openai import FAKE_KEY, SleepRecorder

SHAPES = list(MALFORMED)
PROMPT = "calculate 2 + 2"
ABSURD = [10**30, 2**63, MAX_TOKENS_PER_CALL + 1]


@pytest.fixture
async def fake() -> AsyncIterator[FakeLlama]:
    server = FakeLlama()
    yield server
    await server.aclose()


def one_shot(fake: FakeLlama) -> LLMPlanner:
    return LLMPlanner(
        fake.client(),
        model="fake-model",
        tools=default_tools().describe(),
        config=LLMPlannerConfig(local=True),
        sleep=SleepRecorder(),
    )


def decomposed(fake: FakeLlama, kind: ModelKind) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        fake.client(),
        model="fake-model",
        kind=kind,
        config=LLMPlannerConfig(local=True),
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


@pytest.mark.parametrize("count", ABSURD)
async def test_absurd_token_counts_are_clamped(fake: FakeLlama, count: int) -> None:
    fake.enqueue(tokens(count, count), tokens(count, 3))

    one = await one_shot(fake).plan("tell me a joke")
    split = await decomposed(fake, "completion").plan("add milk to my list")

    assert (one.meta.tokens_in, one.meta.tokens_out) == (MAX_TOKENS_PER_CALL,) * 2
    assert (split.meta.tokens_in, split.meta.tokens_out) == (MAX_TOKENS_PER_CALL, 3)


async def test_a_well_formed_answer_still_plans(fake: FakeLlama) -> None:
    fake.enqueue(tokens(120, 30))

    result = await one_shot(fake).plan("tell me a joke")

    assert result.plan.abstains
    assert (result.meta.tokens_in, result.meta.tokens_out) == (120, 30)
