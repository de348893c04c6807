"""The LLM planner on the local model: plan latency, tokens, server start-up and memory.

One local model server (the `LOCAL_MODEL` setting, SmolLM2 by default) is started, and
the planner that `LLM_PLANNER_MODE=auto` picks for it (the decomposed planner) plans
every prompt of the gold suite twice, one prompt at a time:

- **with prefix reuse**: as deployed. llama.cpp keeps the previous request's KV cache,
  so the instructions every request starts with are not computed again;
- **without prefix reuse**: the same requests, but a transport writes a fresh counter
  at the very start of each one, so nothing is shared with the request before it.

Only the planner's time is measured (no tool runs). The server's resident memory is
sampled throughout and its peak reported. Numbers are wall-clock on whatever else the
machine is doing; on a shared machine they are noisy.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.evals.cases import load_cases
from crane_bench.runtime.local_llm import (
    LocalModelServer,
    local_endpoint,
    local_server,
    make_openai_client,
)
from crane_bench.runtime.planners.factory import build_llm_planner
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "evals" / "cases"
RSS_INTERVAL_S = 0.2
MIB = 1024 * 1024


class NoPrefixReuse(httpx.AsyncBaseTransport):
    """Prefixes each model request's first message with a counter: no shared prefix."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._counter = itertools.count()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Rewrite the body's prompt (or first message), then send the request."""
        body = json.loads(request.content)
        mark = f"[{next(self._counter)}] "
        if "prompt" in body:
            body["prompt"] = mark + body["prompt"]
        elif body.get("messages"):
            body["messages"][0]["content"] = mark + body["messages"][0]["content"]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        rewritten = httpx.Request(request.method, request.url, headers=headers, json=body)
        return await self._inner.handle_async_request(rewritten)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._inner.aclose()


@dataclass(frozen=True)
class Pass:
    """Per-plan measurements of one pass over the prompts."""

    latencies_ms: list[float]
    tokens_in: list[int]
    tokens_out: list[int]
    errors: int


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ranked = sorted(values)
    index = max(0, min(len(ranked) - 1, round(q / 100 * len(ranked) + 0.5) - 1))
    return ranked[index]


async def _one_pass(
    server: LocalModelServer,
    settings: Settings,
    prompts: list[str],
    transport: httpx.AsyncBaseTransport | None,
) -> Pass:
    endpoint = local_endpoint(server)
    client = make_openai_client(endpoint, timeout_s=settings.llm_timeout_s, transport=transport)
    planner = build_llm_planner(client, endpoint, settings, default_tools())
    latencies, tokens_in, tokens_out, errors = [], [], [], 0
    try:
        for prompt in prompts:
            try:
                result = await planner.plan(prompt)
            except Exception:  # noqa: BLE001 - a failed plan is counted, not fatal
                errors += 1
                continue
            latencies.append(result.meta.latency_ms)
            tokens_in.append(result.meta.tokens_in)
            tokens_out.append(result.meta.tokens_out)
    finally:
        await client.close()
    return Pass(latencies, tokens_in, tokens_out, errors)


async def _sample_rss(server: LocalModelServer, peak: list[int]) -> None:
    while True:
        with contextlib.suppress(Exception):
            peak[0] = max(peak[0], server.rss_bytes())
        await asyncio.sleep(RSS_INTERVAL_S)


def _pass_figures(label: str, measured: Pass, goal: str) -> Iterator[Figure]:
    lat = measured.latencies_ms
    note = f"{len(lat)} plans, {measured.errors} errors"
    yield Figure(f"plan latency p50, {label}", statistics.median(lat), "ms", goal, note)
    yield Figure(f"plan latency p95, {label}", percentile(lat, 95), "ms")
    yield Figure(f"tokens in per plan, {label}", statistics.mean(measured.tokens_in), "tokens")
    yield Figure(f"tokens out per plan, {label}", statistics.mean(measured.tokens_out), "tokens")


async def _measure(settings: Settings, prompts: list[str]) -> list[Figure]:
    peak = [0]
    async with local_server(settings) as server:
        sampler = asyncio.create_task(_sample_rss(server, peak))
        try:
            reused = await _one_pass(server, settings, prompts, None)
            busting = NoPrefixReuse()
            try:
                cold = await _one_pass(server, settings, prompts, busting)
            finally:
                await busting.aclose()
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        startup = server.startup_s or 0.0
    return [
        *_pass_figures("with prefix reuse", reused, "<= 350"),
        *_pass_figures("without prefix reuse", cold, ""),
        Figure("server start-up", startup, "s", "", settings.local_model),
        Figure("server peak RSS", peak[0] / MIB, "MiB", "", "process and children"),
    ]


def main(console: Console) -> None:
    """Measure and print the local LLM planner's figures."""
    settings = Settings(openai_api_key=None, openai_base_url=None)
    prompts = [case.prompt for case in load_cases([CASES])]
    figures = asyncio.run(_measure(settings, prompts))
    title = f"llm: {settings.local_model}, {len(prompts)} gold prompts (shared machine: noisy)"
    print_figures(console, title, figures)
