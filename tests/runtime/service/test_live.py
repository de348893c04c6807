"""The real service under uvicorn on a loopback port, driven over HTTP with httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.runtime.service.conftest import poll_until_done

pytestmark = pytest.mark.integration

RUNS = "/api/v1/runs"


@pytest.fixture
async def client(live_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        yield http


async def test_create_then_poll_to_completion(client: httpx.AsyncClient) -> None:
    answer = await client.post(RUNS, json={"prompt": "calculate (10 + 5) * 2"})
    assert answer.status_code == 201
    run = await poll_until_done(client, answer.json()["run_id"])
    assert run["status"] == "completed"
    assert run["output"] == 30
    assert run["steps"][0]["tool"] == "calculator"
    assert run["steps"][0]["attempts"] == 1
    assert run["planner"]["planner"] == "pattern"


async def test_wait_mode_returns_the_finished_run(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        RUNS, params={"wait": "true"}, json={"prompt": "add buy milk to my list"}
    )
    assert answer.status_code == 201
    run = answer.json()
    assert run["status"] == "completed"
    assert run["output"]["title"] == "buy milk"
    assert run["duration_ms"] >= run["plan_ms"]


async def test_list_shows_the_new_run_first(client: httpx.AsyncClient) -> None:
    made = await client.post(RUNS, params={"wait": "true"}, json={"prompt": "what is 2 + 2"})
    listed = await client.get(RUNS, params={"limit": 1, "status": "completed"})
    assert listed.status_code == 200
    assert listed.json()["runs"][0]["run_id"] == made.json()["run_id"]


async def test_unknown_run_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"{RUNS}/does-not-exist")
    assert answer.status_code == 404
    assert "does-not-exist" in answer.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{"prompt": ""}, {"prompt": "y" * 2001}, {"prompt": ["a"]}, {"prompt": "a", "extra": 1}],
)
async def test_validation_errors_are_422(client: httpx.AsyncClient, body: object) -> None:
    answer = await client.post(RUNS, json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][:1] == ["body"]


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        RUNS, content=b'{"prompt":', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"


async def test_llm_planner_without_an_endpoint_is_409(client: httpx.AsyncClient) -> None:
    answer = await client.post(RUNS, json={"prompt": "what is 2 + 2", "planner": "llm"})
    assert answer.status_code == 409


async def test_health_docs_and_openapi(client: httpx.AsyncClient) -> None:
    health = await client.get("/api/v1/health")
    docs = await client.get("/docs")
    schema = await client.get("/openapi.json")
    assert health.json()["status"] == "ok"
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "/api/v1/runs/{run_id}" in schema.json()["paths"]
