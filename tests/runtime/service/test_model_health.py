"""Health under model load: a busy llama-server is `ok`, a down one is `degraded`.

The model server is a fake llama-server at the HTTP level (`tests.fake_llama_server`):
its completions hold until released, so every slot is busy while health is asked.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import httpx
import pytest

from crane_bench.runtime.service import ServiceSettings, create_app
from crane_bench.runtime.settings import Settings
from tests.fake_llama_server import FakeLlamaServer, base_url
from tests.runtime.service.conftest import MEMORY, asgi_client
from tests.threaded_server import serving

HEALTH = "/api/v1/health"


async def until_busy(fake: FakeLlamaServer, slots: int) -> None:
    for _ in range(500):
        if fake.in_flight >= slots:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"the fake server never had {slots} completions in flight")


@pytest.mark.integration
async def test_health_is_ok_while_every_slot_decodes_and_degraded_when_the_model_fails() -> None:
    fake = FakeLlamaServer(slots=2, completion_s=60)
    with ExitStack() as running:
        running.enter_context(serving(fake))
        running.callback(fake.release.set)
        settings = Settings(
            _env_file=None, openai_base_url=base_url(fake), llm_model="fake", llm_max_retries=0
        )
        service = ServiceSettings(_env_file=None, llm_check_timeout_s=2, drain_timeout_s=0)
        async with asgi_client(create_app(settings, service, store_settings=MEMORY)) as client:
            for _ in range(3):  # one more run than slots: the server is saturated
                submitted = await client.post(
                    "/api/v1/runs", json={"prompt": "calculate 2 + 3", "planner": "llm"}
                )
                assert submitted.status_code == 201
            await until_busy(fake, 2)

            busy = (await client.get(HEALTH)).json()

            fake.health_status = 503  # what llama-server says while loading or failing
            failing = (await client.get(HEALTH)).json()

            fake.release.set()
            running.close()  # the model server is gone
            gone = (await client.get(HEALTH)).json()

    assert busy["status"] == "ok"
    assert busy["llm"]["reachable"] is True
    assert busy["runs_in_flight"] == 3
    assert (failing["status"], failing["llm"]["reachable"]) == ("degraded", False)
    assert failing["llm"]["detail"] == "HTTP 503"
    assert (gone["status"], gone["llm"]["reachable"]) == ("degraded", False)
    assert "Connect" in gone["llm"]["detail"]


@pytest.mark.integration
async def test_health_asks_llama_server_health_not_the_model_list() -> None:
    fake = FakeLlamaServer(slots=1, completion_s=0)
    with serving(fake):
        settings = Settings(_env_file=None, openai_base_url=base_url(fake), llm_model="fake")
        app = create_app(settings, ServiceSettings(_env_file=None), store_settings=MEMORY)
        async with asgi_client(app) as client:
            asked_at_start = list(fake.gets)
            health = await client.get(HEALTH)
    assert health.status_code == httpx.codes.OK
    assert health.json()["status"] == "ok"
    assert asked_at_start == ["/v1/models", "/props"]  # what it is, and its slots
    assert fake.gets[len(asked_at_start) :] == ["/health"]
