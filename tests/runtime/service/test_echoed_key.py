"""A model server that echoes the key in a 200 answer: the service's run records hold none."""

from __future__ import annotations

import json

import httpx

from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.service import ServiceSettings, create_app
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_llama import FakeLlama, completion_json
from tests.runtime.planners.fake_openai import FAKE_KEY
from tests.runtime.service.conftest import asgi_client

FRAGMENT = FAKE_KEY.removeprefix("sk-")


def echo(request: httpx.Request) -> httpx.Response:
    title = f"note {request.headers['authorization']} {FRAGMENT}"
    step = {"tool": "todo_store", "input": {"action": "add", "title": title}}
    return httpx.Response(200, json=completion_json(True, json.dumps({"steps": [step]})))


async def test_a_run_record_holds_no_echoed_key() -> None:
    llama = FakeLlama(repeat=echo)
    llm = LLMPlanner(
        llama.client(),
        model="fake-model",
        tools=default_tools().describe(),
        config=LLMPlannerConfig(local=True, max_retries=0),
    )
    app = create_app(
        Settings(_env_file=None),
        ServiceSettings(_env_file=None),
        planners={"pattern": PatternPlanner(), "llm": llm},
    )
    try:
        async with asgi_client(app) as http:
            created = await http.post(
                "/api/v1/runs?wait=true", json={"prompt": "add a note", "planner": "llm"}
            )
            listed = await http.get("/api/v1/runs")
    finally:
        await llama.aclose()

    assert created.status_code == 201, created.text
    assert created.json()["status"] == "completed"
    for answer in (created, listed):
        assert FAKE_KEY not in answer.text
        assert FRAGMENT not in answer.text
    assert "note Bearer ***" in created.text
