"""Builds a planner by name, with the LLM endpoint it needs opened for its lifetime.

With neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` set, an LLM-backed planner gets the
local model server, started here and stopped when the context exits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from runtime.local_llm import LLMEndpoint, make_openai_client, open_endpoint
from runtime.planners.base import Planner
from runtime.planners.hybrid import HybridPlanner
from runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from runtime.planners.pattern import PatternPlanner
from runtime.settings import PlannerName, Settings
from runtime.tools import default_tools


def planner_needs_llm(name: PlannerName) -> bool:
    """True for planners that call a language model."""
    return name != "pattern"


@asynccontextmanager
async def open_planner(
    name: PlannerName,
    settings: Settings,
    *,
    endpoint: LLMEndpoint | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Planner]:
    """Yield the named planner, with its model endpoint open while it is in use.

    Args:
        name: Which planner.
        settings: Where the endpoint, model and policies come from.
        endpoint: An endpoint that is already open (shared by several planners);
            when None and the planner needs one, it is opened here.
        transport: HTTP transport for the model client (the evals' response cache).
    """
    if not planner_needs_llm(name):
        yield PatternPlanner()
        return
    if endpoint is None:
        async with (
            open_endpoint(settings) as opened,
            open_planner(name, settings, endpoint=opened, transport=transport) as planner,
        ):
            yield planner
        return
    tools = default_tools()
    client = make_openai_client(endpoint, timeout_s=settings.llm_timeout_s, transport=transport)
    try:
        llm = LLMPlanner(
            client,
            model=endpoint.model,
            tools=tools.describe(),
            config=LLMPlannerConfig.from_settings(settings, base_url=endpoint.base_url),
        )
        if name == "llm":
            yield llm
        else:
            yield HybridPlanner(
                llm=llm, pattern=PatternPlanner(), tools=tools, strategy=settings.hybrid_strategy
            )
    finally:
        await client.close()
