"""Fixtures of the service tests: scripted planner and tools, in-process and live servers.

`LiveServer` runs the real app under uvicorn in a thread on a free loopback port, so
integration tests go over a real socket; `asgi_client` drives an app in process.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from crane_bench.runtime.errors import PlannerError, TransientToolError
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.service import (
    InMemoryRunStore,
    RunStore,
    RunStoreSettings,
    ServiceMetrics,
    ServiceSettings,
    create_app,
)
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools.base import ToolRegistry


class TextInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class SecondsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0)


class EchoTool:
    name = "echo"
    description = "returns its text"
    input_model = TextInput

    async def run(self, tool_input: TextInput) -> JsonValue:
        return tool_input.text


class SleepTool:
    name = "sleep"
    description = "sleeps, then returns the seconds"
    input_model = SecondsInput

    async def run(self, tool_input: SecondsInput) -> JsonValue:
        await asyncio.sleep(tool_input.seconds)
        return tool_input.seconds


class FlakyTool:
    """Fails its first attempt with a transient error, then succeeds."""

    name = "flaky"
    description = "fails once"
    input_model = TextInput

    def __init__(self) -> None:
        self.calls = 0

    async def run(self, tool_input: TextInput) -> JsonValue:
        self.calls += 1
        if self.calls == 1:
            raise TransientToolError("first attempt always fails")
        return tool_input.text


def script_tools() -> ToolRegistry:
    """Fresh tools per run (the flaky tool counts its own calls)."""
    return ToolRegistry([EchoTool(), SleepTool(), FlakyTool()])


class ScriptPlanner:
    """Plans from a tiny command language, so tests choose what a run does.

    `echo TEXT`, `sleep SECONDS`, `flaky TEXT`, `think SECONDS` (the planner itself is
    slow), `refuse` (a planner error); anything else abstains.
    """

    name = "script"

    async def plan(self, prompt: str) -> PlanResult:
        verb, _, arg = prompt.strip().partition(" ")
        meta = PlanMeta(planner=self.name, latency_ms=0.5, tokens_in=3, tokens_out=2)
        steps: list[PlanStep] = []
        if verb == "echo":
            steps = [PlanStep(tool="echo", input={"text": arg})]
        elif verb == "sleep":
            steps = [PlanStep(tool="sleep", input={"seconds": float(arg)})]
        elif verb == "flaky":
            steps = [PlanStep(tool="flaky", input={"text": arg})]
        elif verb == "think":
            await asyncio.sleep(float(arg))
        elif verb == "refuse":
            raise PlannerError("refused on purpose", meta=meta)
        return PlanResult(plan=Plan(steps=steps), meta=meta)


def script_app(
    *,
    run_timeout_s: float = 10.0,
    drain_timeout_s: float = 5.0,
    store: RunStore | None = None,
    metrics: ServiceMetrics | None = None,
    **service: Any,
) -> FastAPI:
    """An app whose `pattern` planner is the scripted one, with scripted tools.

    Its runs are in memory unless a `store` is given.
    """
    settings = Settings(
        _env_file=None,
        planner="pattern",
        run_timeout_s=run_timeout_s,
        # A zero cap means no waiting between attempts. (The base stays 1: tenacity 9.2
        # warns about the orchestrator's `initial=` for any other value.)
        backoff_max_s=0.0,
    )
    service_settings = ServiceSettings(_env_file=None, drain_timeout_s=drain_timeout_s, **service)
    return create_app(
        settings,
        service_settings,
        store=store if store is not None else InMemoryRunStore(service_settings.max_finished_runs),
        metrics=metrics,
        planners={"pattern": ScriptPlanner()},
        tools=script_tools,
    )


MEMORY = RunStoreSettings(_env_file=None, url="memory://")


def real_app(**service: Any) -> FastAPI:
    """The app as `crane-bench serve` builds it, with the pattern planner (runs in memory)."""
    return create_app(
        Settings(_env_file=None, planner="pattern"),
        ServiceSettings(_env_file=None, **service),
        store_settings=MEMORY,
    )


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client for `app` in process, with the app's lifespan (startup and drain) around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class LiveServer:
    """uvicorn serving `app` in a thread, on a loopback port the OS picked."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """Base URL of the real app (pattern planner, real tools) served by uvicorn."""
    with LiveServer(real_app()) as live:
        yield live.url


@pytest.fixture
def live_server() -> Callable[[FastAPI], LiveServer]:
    """Serve any app live: `with live_server(app) as server: ... server.url`."""
    return LiveServer


async def poll_until_done(
    client: httpx.AsyncClient, run_id: str, *, timeout_s: float = 30.0
) -> dict[str, Any]:
    """Poll a run until it is terminal; fails the test if it never gets there."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await client.get(f"/api/v1/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        run: dict[str, Any] = answer.json()
        if run["status"] in ("completed", "failed"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        await asyncio.sleep(0.02)
