"""Service runs against a model that answers badly: a recorded planner error, never `internal`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.service import ServiceSettings, create_app
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_llama import MALFORMED, FakeLlama
from tests.runtime.service.conftest import MEMORY, asgi_client

SHAPES = list(MALFORMED)


@pytest.fixture
async def llama() -> AsyncIterator[FakeLlama]:
    fake = FakeLlama()
    yield fake
    await fake.aclose()


@pytest.fixture
async def client(llama: FakeLlama) -> AsyncIterator[httpx.AsyncClient]:
    tools = default_tools()
    llm = LLMPlanner(
        llama.client(),
        model="fake-model",
        tools=tools.describe(),
        config=LLMPlannerConfig(local=True, max_retries=0),
    )
    # llm-first: the model is asked even about prompts the rules read whole.
    hybrid = HybridPlanner(llm=llm, pattern=PatternPlanner(), tools=tools, strategy="llm-first")
    app = create_app(
        Settings(_env_file=None),
        ServiceSettings(_env_file=None),
        store_settings=MEMORY,
        planners={"pattern": PatternPlanner(), "llm": llm, "hybrid": hybrid},
    )
    async with asgi_client(app) as http:
        yield http


async def run(client: httpx.AsyncClient, planner: str) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/runs?wait=true", json={"prompt": "calculate 2 + 2", "planner": planner}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize("shape", SHAPES)
async def test_an_llm_run_fails_as_a_planner_error(
    client: httpx.AsyncClient, llama: FakeLlama, shape: str
) -> None:
    llama.repeat = MALFORMED[shape]

    record = await run(client, "llm")

    assert record["status"] == "failed"
    error = record["error"]
    assert (error["kind"], error["type"]) == ("planner_error", "MalformedResponseError")
    assert error["message"].startswith("malformed model response")


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_hybrid_run_falls_back_and_completes(
    client: httpx.AsyncClient, llama: FakeLlama, shape: str
) -> None:
    llama.repeat = MALFORMED[shape]

    record = await run(client, "hybrid")

    assert record["status"] == "completed", record
    assert record["output"] == 4
    assert record["planner"]["fallback"]["reason"] == "model_error"
