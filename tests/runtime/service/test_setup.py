"""`setup` on `POST /api/v1/runs`: a gold case's initial todos, validated at the boundary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.service.conftest import asgi_client, real_app, script_app

RUNS = "/api/v1/runs"


async def test_setup_todos_exist_before_the_plan_runs() -> None:
    body = {"prompt": "mark task 2 done", "setup": {"todos": ["buy milk", "call mom"]}}
    async with asgi_client(real_app()) as client:
        answer = await client.post(RUNS, json=body, params={"wait": "true"})
        fresh = await client.post(
            RUNS, json={"prompt": "mark task 2 done"}, params={"wait": "true"}
        )
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["status"] == "completed", run
    assert run["output"] == {"id": 2, "title": "call mom", "completed": True}
    # Without a setup the store starts empty: there is no task 2 to complete.
    assert fresh.json()["status"] == "failed"
    assert fresh.json()["error"]["kind"] == "tool_error"


async def test_each_run_gets_its_own_setup() -> None:
    async with asgi_client(real_app()) as client:
        first = await client.post(
            RUNS,
            json={"prompt": "show my todos", "setup": {"todos": ["a", "b", "c"]}},
            params={"wait": "true"},
        )
        second = await client.post(
            RUNS,
            json={"prompt": "show my todos", "setup": {"todos": ["d"]}},
            params={"wait": "true"},
        )
    assert [t["title"] for t in first.json()["output"]] == ["a", "b", "c"]
    assert [t["title"] for t in second.json()["output"]] == ["d"]


@pytest.mark.parametrize(
    ("setup", "where", "message"),
    [
        ({"todos": ["   "]}, ["body", "setup", "todos", 0], "should match pattern"),
        ({"todos": [""]}, ["body", "setup", "todos", 0], "at least 1 character"),
        ({"todos": ["x" * 201]}, ["body", "setup", "todos", 0], "at most 200 characters"),
        ({"todos": ["a"] * 101}, ["body", "setup", "todos"], "at most 100 items"),
        ({"todos": "buy milk"}, ["body", "setup", "todos"], "valid list"),
        ({"todos": [3]}, ["body", "setup", "todos", 0], "valid string"),
        ({"todo": ["a"]}, ["body", "setup", "todo"], "Extra inputs are not permitted"),
    ],
)
async def test_a_bad_setup_is_a_422_that_names_the_field(
    setup: dict[str, Any], where: list[Any], message: str
) -> None:
    async with asgi_client(real_app()) as client:
        answer = await client.post(RUNS, json={"prompt": "show my todos", "setup": setup})
        listed = await client.get(RUNS)
    assert answer.status_code == 422
    error = answer.json()["detail"][0]
    assert error["loc"] == where
    assert message in error["msg"]
    assert listed.json()["count"] == 0  # nothing was started


async def test_setup_todos_on_a_server_without_a_todo_store_are_a_400() -> None:
    body = {"prompt": "echo hi", "setup": {"todos": ["buy milk"]}}
    async with asgi_client(script_app()) as client:
        answer = await client.post(RUNS, json=body)
        empty = await client.post(RUNS, json={**body, "setup": {"todos": []}})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "setup.todos: this server's tools have no todo store"}
    assert empty.status_code == 201


def test_the_openapi_schema_documents_setup() -> None:
    schema = real_app().openapi()
    request = schema["components"]["schemas"]["CreateRunRequest"]["properties"]["setup"]
    assert {"$ref": "#/components/schemas/RunSetup"} in request["anyOf"]
    todos = schema["components"]["schemas"]["RunSetup"]["properties"]["todos"]
    assert todos["maxItems"] == 100
    assert todos["items"]["maxLength"] == 200
    assert "ids 1..n" in todos["description"]
