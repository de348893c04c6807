"""`Idempotency-Key` on `POST /api/v1/runs`: a retry gets the run it made, never a second.

Also across processes: two apps over one SQLite file stand for two workers, and a retry
that reaches the other one waits for the run there by reading the store.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from crane_bench.runtime.service import SqliteRunStore
from tests.runtime.service.conftest import asgi_client, script_app

RUNS = "/api/v1/runs"


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], key: str | None, **params: str
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return await client.post(RUNS, json=body, headers=headers, params=params)


async def test_a_retry_with_the_key_gets_the_same_run() -> None:
    async with asgi_client(script_app()) as client:
        first = await post(client, {"prompt": "echo hi"}, "key-1")
        again = await post(client, {"prompt": "echo hi"}, "key-1", wait="true")
        listed = (await client.get(RUNS, params={"limit": 100})).json()
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["run_id"] == first.json()["run_id"]
    assert again.headers["location"] == first.headers["location"]
    assert again.json()["status"] == "completed"  # the replay waited, as asked
    assert listed["count"] == 1


async def test_without_a_key_every_post_is_a_new_run() -> None:
    async with asgi_client(script_app()) as client:
        ids = {(await post(client, {"prompt": "echo hi"}, None)).json()["run_id"] for _ in "ab"}
    assert len(ids) == 2


async def test_the_key_with_another_body_is_a_409_that_says_why() -> None:
    async with asgi_client(script_app()) as client:
        await post(client, {"prompt": "echo hi"}, "key-1")
        other = await post(client, {"prompt": "echo bye"}, "key-1")
        listed = (await client.get(RUNS)).json()
    assert other.status_code == 409
    assert "Idempotency-Key already used with a different request body" in other.json()["detail"]
    assert listed["count"] == 1


async def test_concurrent_retries_make_one_run() -> None:
    async with asgi_client(script_app()) as client:
        answers = await asyncio.gather(
            *(post(client, {"prompt": "sleep 0.2"}, "same") for _ in range(10))
        )
        listed = (await client.get(RUNS)).json()
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["run_id"] for answer in answers}) == 1
    assert listed["count"] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "é".encode()])
async def test_a_malformed_key_is_422(key: str | bytes) -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.post(
            RUNS,
            json={"prompt": "echo hi"},
            headers={"Idempotency-Key": key},
        )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_retry_on_another_worker_waits_for_the_run_through_the_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    one, two = SqliteRunStore(path), SqliteRunStore(path)
    async with (
        asgi_client(script_app(store=one)) as worker_one,
        asgi_client(script_app(store=two)) as worker_two,
    ):
        made = await post(worker_one, {"prompt": "sleep 0.3"}, "key-1")
        seen = await worker_two.get(f"{RUNS}/{made.json()['run_id']}")
        waited = await post(worker_two, {"prompt": "sleep 0.3"}, "key-1", wait="true")
    await one.close()
    await two.close()
    assert seen.status_code == 200  # created by one worker, read by the other
    assert waited.status_code == 201
    assert waited.headers["idempotent-replayed"] == "true"
    assert waited.json()["run_id"] == made.json()["run_id"]
    assert waited.json()["status"] == "completed"
