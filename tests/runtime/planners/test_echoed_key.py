"""A server that echoes the `Authorization` header in a 200 answer: the key goes nowhere.

The model's text is masked where it is read (`model_answers`), so the plan, the raw
output, the error messages and the hybrid's fallback detail never hold the key, whole
or without its `sk-` prefix.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from crane_bench.runtime.errors import PlannerError
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_llama import FakeLlama, completion_json, is_chat
from tests.runtime.planners.fake_openai import FAKE_KEY, SleepRecorder

FRAGMENT = FAKE_KEY.removeprefix("sk-")
PROMPT = "add buy milk to my todo list"


def echo(request: httpx.Request, *, as_plan: bool) -> httpx.Response:
    """The header back, whole and without its prefix, as a plan or as plain text."""
    said = f"{request.headers['authorization']} and {FRAGMENT}"
    chat = is_chat(request)
    if not as_plan:
        return httpx.Response(200, json=completion_json(chat, f"I saw {said}"))
    step = {"tool": "todo_store", "input": {"action": "add", "title": f"buy milk {said}"}}
    text = json.dumps({"steps": [step]}) if chat else f" yes\ntodo_add\nTitle: buy milk {said}\n"
    return httpx.Response(200, json=completion_json(chat, text))


@pytest.fixture
async def fake() -> AsyncIterator[FakeLlama]:
    server = FakeLlama()
    yield server
    await server.aclose()


def planners(fake: FakeLlama) -> dict[str, Planner]:
    config = LLMPlannerConfig(local=True, max_retries=0)
    oneshot = LLMPlanner(
        fake.client(), model="m", tools=default_tools().describe(), config=config,
        sleep=SleepRecorder(),
    )  # fmt: skip
    decomposed = DecomposedLLMPlanner(
        fake.client(), model="m", kind="completion", config=config, sleep=SleepRecorder()
    )
    hybrid = HybridPlanner(
        llm=oneshot, pattern=PatternPlanner(), tools=default_tools(), strategy="llm-first"
    )
    return {"oneshot": oneshot, "decomposed": decomposed, "hybrid": hybrid}


def assert_masked(text: str) -> None:
    assert FAKE_KEY not in text
    assert FRAGMENT not in text
    assert FRAGMENT[4:20] not in text


@pytest.mark.parametrize("as_plan", [True, False], ids=["in a plan", "as text"])
@pytest.mark.parametrize("name", ["oneshot", "decomposed", "hybrid"])
async def test_an_echoed_key_is_in_no_plan_output_or_error(
    fake: FakeLlama, name: str, as_plan: bool
) -> None:
    fake.repeat = lambda request: echo(request, as_plan=as_plan)
    planner = planners(fake)[name]

    try:
        result = await planner.plan(PROMPT)
    except PlannerError as exc:
        assert_masked(str(exc))
        assert_masked(exc.meta.model_dump_json() if exc.meta else "")
    else:
        assert_masked(result.model_dump_json())
        if as_plan and name != "hybrid":
            assert "***" in result.model_dump_json()  # the echo was kept, masked
    assert fake.requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
