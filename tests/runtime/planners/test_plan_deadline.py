"""One deadline for a whole plan: a slow model ends in the hybrid's fallback, not a case timeout.

The server is a fake at the HTTP level that answers correctly: at once, or after a
delay the test sets, always well inside one call's timeout (60 s), so only the plan's
deadline can end a plan early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from crane_bench.evals.cases import Case
from crane_bench.evals.trial import run_trial
from crane_bench.runtime.errors import LLMTimeoutError
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner, split_clauses
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.settings import HybridStrategy
from crane_bench.runtime.tools import default_tools

PROMPT = "add milk to my list, then show my list, then add eggs to my list"
CONFIG = LLMPlannerConfig(timeout_s=60, max_retries=0, plan_timeout_s=2.0)


class SlowServer:
    """Answers every chat completion with `todo_list`; from the `slow_from`-th on, late."""

    def __init__(self) -> None:
        self.started = 0
        self.slow_from = 1
        self.delay_s = 30.0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.started += 1
        if self.started >= self.slow_from:
            await asyncio.sleep(self.delay_s)
        body = {
            "id": "chatcmpl-slow",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "yes\ntodo_list"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 50, "completion_tokens": 3, "total_tokens": 53},
        }
        return httpx.Response(200, json=body)


@pytest.fixture
async def slow() -> AsyncIterator[tuple[SlowServer, openai.AsyncOpenAI]]:
    server = SlowServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server.handler))
    client = openai.AsyncOpenAI(
        api_key="sk-local",
        base_url="http://127.0.0.1:9/v1",
        max_retries=0,
        http_client=http,  # type: ignore[arg-type]  # openai 3 accepts httpx clients
    )
    yield server, client
    await client.close()


def _decomposed(client: openai.AsyncOpenAI) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(client, model="fake-model", kind="chat", config=CONFIG)


async def test_the_calls_of_one_plan_share_one_deadline(
    slow: tuple[SlowServer, openai.AsyncOpenAI],
) -> None:
    server, client = slow
    server.slow_from = 3  # two clauses answered at once, the third too late for the plan
    planner = _decomposed(client)
    assert len(split_clauses(PROMPT, planner.openers)) == 3
    with pytest.raises(LLMTimeoutError, match="deadline") as caught:
        await planner.plan(PROMPT)
    assert server.started == 3  # the third call was cut off, not the first
    meta = caught.value.meta
    assert meta is not None
    assert meta.model_calls == 3
    assert meta.tokens_in == 2 * 50  # what the two answered calls cost is kept
    assert meta.raw_output is not None


async def test_a_short_plan_is_inside_the_deadline(
    slow: tuple[SlowServer, openai.AsyncOpenAI],
) -> None:
    server, client = slow
    server.slow_from = 2
    result = await _decomposed(client).plan("show my list")
    assert [step.input["action"] for step in result.plan.steps] == ["list"]
    assert result.meta.model_calls == 1


def test_the_default_deadline_is_every_attempt_and_its_backoff() -> None:
    config = LLMPlannerConfig(timeout_s=20, max_retries=2, backoff_base_s=0.2, backoff_max_s=2)
    assert config.plan_deadline_s == pytest.approx(20 * 3 + 0.2 + 0.4)
    assert LLMPlannerConfig(plan_timeout_s=7).plan_deadline_s == 7


@pytest.mark.parametrize("strategy", ["llm-first", "pattern-first", "clause-merge"])
async def test_the_hybrid_falls_back_by_timeout_inside_the_case_timeout(
    slow: tuple[SlowServer, openai.AsyncOpenAI], strategy: HybridStrategy
) -> None:
    _server, client = slow  # every call is past the deadline
    hybrid = HybridPlanner(
        llm=_decomposed(client),
        pattern=PatternPlanner(),
        tools=default_tools(),
        strategy=strategy,
        deadline_s=CONFIG.plan_deadline_s,
    )
    # A prompt the rules cannot read whole, so every strategy asks the model about it.
    prompt = "put milk on my list, then show me whatever is on it, then put eggs on it too"
    case = Case.model_validate(
        {"id": "slow", "prompt": prompt, "category": "todo", "expected": {"steps": []}}
    )
    row = await run_trial(
        case,
        hybrid,
        planner_name="hybrid",
        repeat=0,
        orchestrator=Orchestrator(OrchestratorConfig()),
        timeout_s=CONFIG.plan_deadline_s + 15,  # what `default_case_timeout` leaves
    )
    assert row.outcome != "timeout"
    assert row.fallback_reason == "timeout"
    assert row.model_calls >= 1
    assert row.valid_plan
