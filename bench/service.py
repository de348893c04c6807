"""Service throughput: `POST /api/v1/runs?wait=true` against a bare FastAPI JSON endpoint.

Both apps are served the same way (uvicorn, one worker process, uvloop and httptools
when installed) in a child process each, one after the other, and loaded from this
process with a closed loop of concurrent httpx requests. The ratio says what the
runtime (planning, executing, recording, metrics) costs on top of FastAPI itself.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from rich.console import Console

from bench.figures import Figure, print_figures

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 32
WARMUP_S = 1.0
DURATION_S = 5.0
PROMPT = "calculate (10 + 5) * 2"
CRANE = ("crane_bench.runtime.service.app:create_app_from_env", "/api/v1/runs?wait=true")
BARE = ("bench.service:bare_app", "/echo")


class EchoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str


class EchoOut(BaseModel):
    run_id: str
    status: str
    prompt: str


def bare_app() -> FastAPI:
    """The baseline: one JSON endpoint with a validated body and a response model."""
    app = FastAPI()

    @app.post("/echo", status_code=201, response_model=EchoOut)
    async def echo(body: EchoIn) -> EchoOut:
        return EchoOut(run_id="0" * 32, status="completed", prompt=body.prompt)

    return app


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(
    target: str, port: int, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PLANNER": "pattern", "SERVICE_ACCESS_LOG": "false", **(extra_env or {})}
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory", "--workers", "1",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start within 60 s")


async def _load(base_url: str, path: str, seconds: float) -> Load:
    latencies: list[float] = []
    errors = 0

    async def user(client: httpx.AsyncClient, until: float) -> None:
        nonlocal errors
        while time.perf_counter() < until:
            began = time.perf_counter()
            answer = await client.post(path, json={"prompt": PROMPT})
            if answer.status_code == 201 and answer.json()["status"] == "completed":
                latencies.append((time.perf_counter() - began) * 1000)
            else:
                errors += 1

    # One client (one keep-alive connection) per user, as a real closed-loop user has:
    # a single pool shared by 32 tasks makes httpx itself the bottleneck.
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
            for _ in range(CONCURRENCY)
        ]
        warm_until = time.perf_counter() + WARMUP_S
        await asyncio.gather(*(user(client, warm_until) for client in clients))
        latencies.clear()
        errors = 0
        began = time.perf_counter()
        await asyncio.gather(*(user(client, began + seconds) for client in clients))
        elapsed = time.perf_counter() - began
    return Load(len(latencies), errors, elapsed, latencies)


def measure(
    target: str,
    path: str,
    seconds: float = DURATION_S,
    env: Mapping[str, str] | None = None,
) -> Load:
    """Serve `target` in a child uvicorn (with `env` added) and load `path` for `seconds`."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _serve(target, port, env)
    try:
        _wait_ready(base_url, server)
        return asyncio.run(_load(base_url, path, seconds))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main(console: Console) -> None:
    """Measure and print the service figures."""
    bare = measure(*BARE)
    crane = measure(*CRANE)
    ratio = crane.rps / bare.rps if bare.rps else 0.0
    load = f"{CONCURRENCY} concurrent, {DURATION_S:g} s, closed loop"
    figures = [
        Figure("bare FastAPI endpoint", bare.rps, "req/s", "", load),
        Figure(
            "POST /api/v1/runs?wait=true", crane.rps, "req/s", "", f"pattern planner, {PROMPT!r}"
        ),
        Figure("service / bare", ratio, "ratio", ">= 0.5", "same uvicorn setup, one worker"),
        Figure("bare p50 latency", bare.percentile_ms(0.5), "ms"),
        Figure("service p50 latency", crane.percentile_ms(0.5), "ms"),
        Figure("service p99 latency", crane.percentile_ms(0.99), "ms"),
        Figure("service mean latency", statistics.fmean(crane.latencies_ms or [0.0]), "ms"),
        Figure("failed requests", bare.errors + crane.errors, "count", "0", "bare + service"),
    ]
    print_figures(console, "service", figures)


if __name__ == "__main__":
    main(Console())
