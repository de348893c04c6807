"""Many runs at once over a real socket: every one reaches a terminal state, none is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.runtime.service.conftest import LiveServer, poll_until_done, script_app

pytestmark = pytest.mark.integration

RUNS = "/api/v1/runs"
N = 200


async def submit_all(client: httpx.AsyncClient, prompts: list[str]) -> list[str]:
    answers = await asyncio.gather(*(client.post(RUNS, json={"prompt": p}) for p in prompts))
    assert [a.status_code for a in answers] == [201] * len(prompts)
    return [a.json()["run_id"] for a in answers]


async def test_200_runs_at_once_all_finish_on_the_real_service(live_url: str) -> None:
    prompts = [f"calculate {i} + 1" for i in range(N)]
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as client:
        ids = await submit_all(client, prompts)
        runs = await asyncio.gather(*(poll_until_done(client, i) for i in ids))
    assert len(set(ids)) == N
    assert [r["output"] for r in runs] == [i + 1 for i in range(N)]


async def test_200_overlapping_runs_all_finish_and_are_listed(
    live_server: Callable[[FastAPI], LiveServer],
) -> None:
    # Each run sleeps, so all 200 are in flight together.
    with live_server(script_app()) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            ids = await submit_all(client, [f"sleep 0.{i % 5 + 1}" for i in range(N)])
            runs = await asyncio.gather(*(poll_until_done(client, i) for i in ids))
            listed = (await client.get(RUNS, params={"limit": 1000})).json()
            metrics = (await client.get("/api/v1/health/metrics")).json()
    assert {r["status"] for r in runs} == {"completed"}
    assert {r["run_id"] for r in listed["runs"]} == set(ids)
    assert metrics["runs_by_status"] == {"completed": N}
    assert metrics["runs_in_flight"] == 0
