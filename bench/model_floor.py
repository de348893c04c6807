"""The llm planner beside its floor: the same model requests replayed bare, and throughput.

One local model server (the `LOCAL_*` settings: llama-server when `make install` built it)
serves a fixed sample of gold prompts three ways, each on a freshly started server that
has answered the same warm-up request, so no pass inherits another's cache:

- **planner**: the llm planner plans each prompt, one at a time; a transport records
  every model request it sends and the server's `timings` (prompt tokens taken from the
  cache, model milliseconds);
- **raw**: those exact request bodies replayed in the same order with bare httpx: the
  floor for these requests on this server. planner / raw is what the planner adds
  (splitting, example search, grammar, the openai client, parsing);
- **raw, other weights**: the same bodies again on a server of the other `LOCAL_WEIGHTS`
  file (SmolLM2's Q4_1 as shipped, or re-encoded as Q8_0): what the re-encoding
  gains on the same requests;
- **throughput**: the planner over the sample with 1 plan at a time on a server of one
  slot, then `CONCURRENT` plans at once on a server of `CONCURRENT` slots.

Prompts are timed, never scored: gold prompts are used because they are what `make eval`
runs. Set BENCH_LLM_SAMPLE to change the sample size (default 80).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console

from bench.figures import Figure, print_figures
from bench.llm import CASES
from crane_bench.evals.cases import load_cases
from crane_bench.runtime.local_llm import (
    LocalModelServer,
    local_endpoint,
    local_server,
    make_openai_client,
)
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.factory import build_llm_planner
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools

CONCURRENT = 4
WARM_UP = "what is 1 + 1"


@dataclass
class Call:
    """One model request the planner sent, and what the server said of it."""

    plan: int
    path: str
    body: bytes
    cache_n: int = 0
    prompt_n: int = 0
    model_ms: float = 0.0


@dataclass
class Recording(httpx.AsyncBaseTransport):
    """Sends through a real transport and keeps every completion request and its timings."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    calls: list[Call] = field(default_factory=list)
    plan: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward `request`; note its body and the answer's timings."""
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        call = Call(self.plan, request.url.path, body)
        timings = json.loads(content).get("timings") or {}
        call.cache_n = int(timings.get("cache_n", 0))
        call.prompt_n = int(timings.get("prompt_n", 0))
        call.model_ms = float(timings.get("prompt_ms", 0.0)) + float(
            timings.get("predicted_ms", 0.0)
        )
        self.calls.append(call)
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


async def _fresh_server(stack: AsyncExitStack, settings: Settings) -> LocalModelServer:
    server = await stack.enter_async_context(local_server(settings))
    async with httpx.AsyncClient(timeout=60) as client:
        await client.post(
            f"{server.base_url}/chat/completions",
            json={"model": server.model_name, "max_tokens": 4, "messages": [
                {"role": "user", "content": WARM_UP}
            ]},
        )  # fmt: skip
    return server


def _planner(server: LocalModelServer, settings: Settings, transport: Any) -> Planner:
    endpoint = local_endpoint(server)
    client = make_openai_client(endpoint, timeout_s=settings.llm_timeout_s, transport=transport)
    return build_llm_planner(client, endpoint, settings, default_tools())


async def _planner_pass(settings: Settings, prompts: list[str]) -> tuple[list[float], Recording]:
    recording = Recording()
    latencies = []
    async with AsyncExitStack() as stack:
        server = await _fresh_server(stack, settings)
        planner = _planner(server, settings, recording)
        for index, prompt in enumerate(prompts):
            recording.plan = index
            began = time.perf_counter()
            await planner.plan(prompt)
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies, recording


async def _raw_pass(settings: Settings, calls: list[Call], plans: int) -> list[float]:
    per_plan = [0.0] * plans
    async with AsyncExitStack() as stack:
        server = await _fresh_server(stack, settings)
        root = server.base_url.removesuffix("/v1")
        async with httpx.AsyncClient(timeout=60) as client:
            for call in calls:
                began = time.perf_counter()
                answer = await client.post(
                    root + call.path,
                    content=call.body,
                    headers={"Content-Type": "application/json"},
                )
                answer.raise_for_status()
                per_plan[call.plan] += (time.perf_counter() - began) * 1000
    return per_plan


async def _throughput(settings: Settings, prompts: list[str], at_once: int) -> float:
    # A server with as many slots as plans at once (llama-server; llama-cpp-python has one).
    settings = settings.model_copy(update={"local_parallel": at_once})
    async with AsyncExitStack() as stack:
        server = await _fresh_server(stack, settings)
        planner = _planner(server, settings, None)
        gate = asyncio.Semaphore(at_once)

        async def one(prompt: str) -> None:
            async with gate:
                await planner.plan(prompt)

        began = time.perf_counter()
        await asyncio.gather(*(one(prompt) for prompt in prompts))
        return len(prompts) / (time.perf_counter() - began)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _measure(settings: Settings, prompts: list[str]) -> tuple[str, list[Figure]]:
    planned, recording = await _planner_pass(settings, prompts)
    raw = await _raw_pass(settings, recording.calls, len(prompts))
    asked = [i for i in range(len(prompts)) if raw[i] > 0]
    ratios = [planned[i] / raw[i] for i in asked]
    calls = recording.calls
    cached = sum(c.cache_n for c in calls)
    computed = sum(c.prompt_n for c in calls)
    # The same bodies on the other weights file (`LOCAL_WEIGHTS`): what re-encoding buys.
    other = "q8_0" if settings.local_weights == "shipped" else "shipped"
    on_other = await _raw_pass(
        settings.model_copy(update={"local_weights": other}), calls, len(prompts)
    )
    weights_figures = [
        Figure(f"raw p50, {other} weights", statistics.median(on_other[i] for i in asked), "ms"),
        Figure(
            f"raw {other} / raw {settings.local_weights}, total",
            sum(on_other[i] for i in asked) / sum(raw[i] for i in asked),
            "x",
            note="same bodies, same order, fresh server each",
        ),
    ]
    serial = await _throughput(settings, prompts, 1)
    parallel = await _throughput(settings, prompts, CONCURRENT)
    async with AsyncExitStack() as stack:
        server = await _fresh_server(stack, settings)
        program, slots = server.program, server.slots
    note = f"the {len(asked)} of {len(prompts)} plans that asked the model, {len(calls)} calls"
    planned_asked = [planned[i] for i in asked]
    figures = [
        Figure("planner p50 per plan", statistics.median(planned_asked), "ms", "<= 350", note),
        Figure("planner p95 per plan", _p(planned_asked, 95), "ms"),
        Figure(
            "raw p50 (same requests, bare httpx)", statistics.median(raw[i] for i in asked), "ms"
        ),
        Figure(
            "planner / raw, total",
            sum(planned[i] for i in asked) / sum(raw[i] for i in asked),
            "x",
            "<= 1.15",
        ),
        Figure("planner / raw, median plan", statistics.median(ratios), "x"),
        *weights_figures,
        Figure(
            "server model time, total",
            sum(c.model_ms for c in calls) / 1000,
            "s",
            note="prompt + generation, from timings",
        ),
        Figure(
            "prefix reuse",
            cached / (cached + computed) if cached + computed else 0.0,
            "of prompt",
            note=f"{cached:,} tokens cached, {computed:,} computed",
        ),
        Figure("prompt tokens computed per call", computed / max(len(calls), 1), "tokens"),
        Figure("throughput, 1 at a time", serial, "plans/s"),
        Figure(f"throughput, {CONCURRENT} at once", parallel, "plans/s"),
        Figure(f"{CONCURRENT} at once / 1 at a time", parallel / serial, "x", ">= 2.5"),
    ]
    return f"{program}, {slots} slot(s)", figures


def main(console: Console) -> None:
    """Measure and print the planner-versus-floor figures."""
    settings = Settings(openai_api_key=None, openai_base_url=None)
    prompts = [case.prompt for case in load_cases([CASES])]
    size = int(os.environ.get("BENCH_LLM_SAMPLE", "80"))
    sample = random.Random(7).sample(prompts, min(size, len(prompts)))
    served, figures = asyncio.run(_measure(settings, sample))
    title = (
        f"model floor: {settings.local_model} ({settings.local_weights} weights) on {served}, "
        f"{len(sample)} gold prompts"
    )
    print_figures(console, title, figures)
