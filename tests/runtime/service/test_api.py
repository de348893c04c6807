"""The HTTP API in process (httpx.ASGITransport): runs, errors, health, timeouts, drain."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crane_bench.runtime.models import RunStatus
from crane_bench.runtime.service import InMemoryRunStore, ServiceSettings, create_app
from crane_bench.runtime.service.shutdown import SHUTDOWN_RESERVE_S
from crane_bench.runtime.settings import Settings
from tests.runtime.service.conftest import MEMORY, asgi_client, poll_until_done, script_app

RUNS = "/api/v1/runs"


async def create(
    client: httpx.AsyncClient, prompt: str, *, planner: str | None = None, **params: Any
) -> dict[str, Any]:
    body = {"prompt": prompt} if planner is None else {"prompt": prompt, "planner": planner}
    answer = await client.post(RUNS, json=body, params=params)
    assert answer.status_code == 201, answer.text
    run: dict[str, Any] = answer.json()
    return run


async def test_create_answers_at_once_then_the_run_completes() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, json={"prompt": "echo hello"})
        assert answer.status_code == 201
        accepted = answer.json()
        assert set(accepted) == {"run_id", "status"}
        assert accepted["status"] == "pending"
        assert answer.headers["location"] == f"{RUNS}/{accepted['run_id']}"
        run = await poll_until_done(client, accepted["run_id"])
    assert run["status"] == "completed"
    assert run["output"] == "hello"
    assert run["plan"] == {"steps": [{"tool": "echo", "input": {"text": "hello"}}]}
    assert run["steps"][0]["attempts"] == 1
    assert run["planner"]["planner"] == "script"
    assert run["ended_at"] is not None


async def test_wait_returns_the_finished_run_with_retries_recorded() -> None:
    async with asgi_client(script_app()) as client:
        run = await create(client, "flaky again", wait="true")
    assert run["status"] == "completed"
    assert run["output"] == "again"
    assert run["steps"][0]["attempts"] == 2


async def test_a_planner_error_is_a_failed_run_not_an_http_error() -> None:
    async with asgi_client(script_app()) as client:
        run = await create(client, "refuse", wait="true")
    assert run["status"] == "failed"
    assert run["error"]["kind"] == "planner_error"
    assert run["planner"]["tokens_in"] == 3


@pytest.mark.parametrize("prompt", ["sleep 30", "think 30"])
async def test_wait_is_bounded_by_the_run_timeout(prompt: str) -> None:
    async with asgi_client(script_app(run_timeout_s=0.2)) as client:
        run = await create(client, prompt, wait="true")
        again = (await client.get(f"{RUNS}/{run['run_id']}")).json()
    assert run["status"] == "failed"
    assert run["error"]["kind"] == "run_timeout"
    assert again["status"] == "failed"


async def test_a_polled_run_never_stays_running_past_the_timeout() -> None:
    async with asgi_client(script_app(run_timeout_s=0.2)) as client:
        accepted = await create(client, "sleep 30")
        run = await poll_until_done(client, accepted["run_id"])
    assert run["error"]["kind"] == "run_timeout"


async def test_get_unknown_run_is_404_with_a_message() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.get(f"{RUNS}/0123456789abcdef")
    assert answer.status_code == 404
    assert "no run '0123456789abcdef'" in answer.json()["detail"]


async def test_list_is_newest_first_with_limit_and_status_filter() -> None:
    async with asgi_client(script_app()) as client:
        ids = [(await create(client, f"echo {i}", wait="true"))["run_id"] for i in range(3)]
        failed = (await create(client, "refuse", wait="true"))["run_id"]
        listed = (await client.get(RUNS, params={"limit": 2})).json()
        only_failed = (await client.get(RUNS, params={"status": "failed"})).json()
        everything = (await client.get(RUNS)).json()
    assert [r["run_id"] for r in listed["runs"]] == [failed, ids[2]]
    assert listed["count"] == 2
    assert [r["run_id"] for r in only_failed["runs"]] == [failed]
    assert only_failed["runs"][0]["error"].startswith("planner_error")
    assert everything["count"] == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 2001}, "prompt"),
        ({"prompt": 12}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({}, "prompt"),
        ({"prompt": "echo a", "planner": ""}, "planner"),
        ({"prompt": "echo a", "temperature": 0.3}, "temperature"),
    ],
)
async def test_bad_bodies_are_422_with_the_field(body: dict[str, Any], field: str) -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, json=body)
    assert answer.status_code == 422
    locations = [err["loc"] for err in answer.json()["detail"]]
    assert ["body", field] in locations


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"prompt": "echo a"', "application/json"),
        (b"not json at all", "application/json"),
        (b'["echo a"]', "application/json"),
        (b"prompt=echo+a", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ],
)
async def test_malformed_bodies_are_422(content: bytes, content_type: str) -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, content=content, headers={"content-type": content_type})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][0] == "body"


async def test_a_lone_surrogate_is_422_not_500() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(
            RUNS, content=b'{"prompt": "\\ud800"}', headers={"content-type": "application/json"}
        )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "prompt"]


async def test_a_huge_prompt_is_not_echoed_back_whole() -> None:
    # Too long a prompt, in a body within the size limit (a larger body is a 413).
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, json={"prompt": "x" * 50_000})
    assert answer.status_code == 422
    assert len(answer.content) < 1000
    assert answer.json()["detail"][0]["type"] == "string_too_long"


async def test_non_finite_numbers_get_a_strict_json_422() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(
            RUNS, content=b'{"prompt": 1e999}', headers={"content-type": "application/json"}
        )
    assert answer.status_code == 422
    assert b"Infinity" not in answer.content
    assert answer.json()["detail"][0]["input"] == "inf"


@pytest.mark.parametrize(
    ("path", "params"),
    [(RUNS, {"limit": 0}), (RUNS, {"limit": "many"}), (RUNS, {"status": "lost"})],
)
async def test_bad_query_parameters_are_422(path: str, params: dict[str, Any]) -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][0] == "query"


async def test_bad_wait_flag_is_422() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, params={"wait": "perhaps"}, json={"prompt": "echo a"})
    assert answer.status_code == 422


async def test_unknown_path_and_wrong_method_answer_json() -> None:
    async with asgi_client(script_app()) as client:
        missing = await client.get("/api/v1/nothing")
        wrong = await client.delete(RUNS)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}


async def test_llm_planner_on_a_pattern_only_server_is_409() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, json={"prompt": "echo a", "planner": "hybrid"})
    assert answer.status_code == 409
    assert "planner 'hybrid' is not available" in answer.json()["detail"]


async def test_health_probes() -> None:
    async with asgi_client(script_app()) as client:
        health = (await client.get("/api/v1/health")).json()
        live = await client.get("/api/v1/health/liveness")
        ready = await client.get("/api/v1/health/readiness")
    assert health["status"] == "ok"
    assert health["planner"] == "pattern"
    assert health["planners"] == ["pattern"]
    assert health["llm"] == {
        "configured": False,
        "reachable": None,
        "base_url": None,
        "model": None,
        "detail": None,
    }
    assert live.json()["status"] == "alive"
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


async def test_before_startup_runs_are_refused_and_readiness_is_503() -> None:
    app = script_app()
    transport = httpx.ASGITransport(app=app)  # no lifespan: the planners were never opened
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ready = await client.get("/api/v1/health/readiness")
        submitted = await client.post(RUNS, json={"prompt": "echo a"})
    assert (ready.status_code, ready.json()["status"]) == (503, "not_ready")
    assert submitted.status_code == 503


async def test_beyond_max_in_flight_is_503_with_retry_after() -> None:
    async with asgi_client(script_app(max_in_flight=2, drain_timeout_s=0)) as client:
        await create(client, "sleep 30")
        await create(client, "sleep 30")
        third = await client.post(RUNS, json={"prompt": "echo a"})
    assert third.status_code == 503
    assert third.headers["retry-after"] == "1"


async def test_shutdown_fails_runs_that_do_not_finish_in_the_drain() -> None:
    store = InMemoryRunStore()
    # Runs get the budget less the reserve for closing: 0.3 s here.
    budget = SHUTDOWN_RESERVE_S + 0.3
    async with asgi_client(script_app(drain_timeout_s=budget, store=store)) as client:
        quick = await create(client, "sleep 0.05")
        slow = [(await create(client, "sleep 30"))["run_id"] for _ in range(3)]
    finished = await store.get(quick["run_id"])
    assert finished is not None
    assert finished.status == "completed"
    for run_id in slow:
        run = await store.get(run_id)
        assert run is not None
        assert run.status == "failed"
        assert run.error is not None
        assert run.error.kind == "cancelled"
        assert "shut down" in run.error.message
    for unfinished in (RunStatus.PENDING, RunStatus.RUNNING):
        assert await store.recent(limit=100, status=unfinished) == []


async def test_the_store_keeps_only_the_newest_finished_runs() -> None:
    async with asgi_client(script_app(max_finished_runs=3)) as client:
        ids = [(await create(client, f"echo {i}", wait="true"))["run_id"] for i in range(5)]
        listed = (await client.get(RUNS, params={"limit": 100})).json()
        evicted = await client.get(f"{RUNS}/{ids[0]}")
    assert [r["run_id"] for r in listed["runs"]] == ids[:1:-1]
    assert evicted.status_code == 404


async def test_a_configured_endpoint_opens_the_llm_planners_and_health_probes_it() -> None:
    # A hosted endpoint needs no server to open; nothing listens on port 9, so it is down.
    settings = Settings(
        _env_file=None,
        openai_base_url="http://127.0.0.1:9/v1",
        llm_max_retries=0,
        hybrid_strategy="llm-first",
    )
    service = ServiceSettings(_env_file=None, llm_check_timeout_s=1)
    app = create_app(settings, service, store_settings=MEMORY)
    async with asgi_client(app) as client:
        health = (await client.get("/api/v1/health")).json()
        hybrid = await create(client, "calculate 2 + 3", wait="true", planner="hybrid")
        llm = await client.post(
            RUNS, params={"wait": "true"}, json={"prompt": "calculate 2 + 3", "planner": "llm"}
        )
    assert health["planners"] == ["hybrid", "llm", "pattern"]
    assert health["status"] == "degraded"
    assert health["llm"]["configured"] is True
    assert health["llm"]["reachable"] is False
    assert health["llm"]["base_url"] == "http://127.0.0.1:9/v1"
    # Hybrid falls back to the pattern planner; the LLM planner's failure is a failed run.
    assert hybrid["status"] == "completed"
    assert hybrid["output"] == 5
    assert hybrid["planner"]["fallback"]["reason"] == "model_error"
    assert llm.status_code == 201
    assert llm.json()["error"]["kind"] == "planner_error"
