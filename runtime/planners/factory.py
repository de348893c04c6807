"""Builds a planner by name, with the LLM endpoint it needs opened for its lifetime.

With neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` set, an LLM-backed planner gets the
local model server, started here and stopped when the context exits. Which LLM planner
serves an endpoint is `build_llm_planner`'s choice (`LLM_PLANNER_MODE`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from crane_bench.runtime.settings import LLMPlannerMode, PlannerName, Settings

# What only a model or a user planner needs (the endpoint, httpx, psutil, the hybrid's
# signals, importlib.metadata) is imported where it is used: a pattern plan needs none.
if TYPE_CHECKING:
    import httpx
    import openai

    from crane_bench.runtime.local_llm import LLMEndpoint
    from crane_bench.runtime.models import PlanResult
    from crane_bench.runtime.planners.base import Planner
    from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
    from crane_bench.runtime.planners.llm import LLMPlanner
    from crane_bench.runtime.planners.specs import PlannerSpec
    from crane_bench.runtime.tools import ToolRegistry
    from crane_bench.runtime.tools.plugin import ToolPlugins


def planner_needs_llm(name: PlannerName) -> bool:
    """True for planners that call a language model."""
    return name != "pattern"


def resolve_llm_mode(mode: LLMPlannerMode, endpoint: LLMEndpoint) -> LLMPlannerMode:
    """`auto` made concrete: decomposed where the server takes a grammar, else oneshot.

    A tiny model on llama.cpp plans far better one clause at a time under a grammar, and
    only llama.cpp's servers take one; a hosted model writes the whole plan in one call.
    """
    if mode != "auto":
        return mode
    return "decomposed" if endpoint.traits.grammar else "oneshot"


def build_llm_planner(
    client: openai.AsyncOpenAI,
    endpoint: LLMEndpoint,
    settings: Settings,
    tools: ToolRegistry,
    plugins: ToolPlugins | None = None,
) -> LLMPlanner | DecomposedLLMPlanner:
    """The LLM planner (named "llm") for `endpoint`, by `settings.llm_planner_mode`.

    Args:
        client: The endpoint's client, built with `max_retries=0`.
        endpoint: Where requests go; its `local` flag and `kind` steer the choice.
        settings: Mode, timeouts, retries and sampling.
        tools: The tools a plan may call (the one-shot planner is shown them).
        plugins: The tools' plug-ins, whose labels and examples the decomposed planner
            offers (the installed ones by default).
    """
    # The model planners (and openai) are imported only when a model is used: a pattern
    # plan never needs them, and they are most of the CLI's start-up time.
    from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner  # noqa: PLC0415
    from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig  # noqa: PLC0415
    from crane_bench.runtime.tools.registry import installed_tool_plugins  # noqa: PLC0415

    config = LLMPlannerConfig.from_settings(settings, server=endpoint.server)
    if resolve_llm_mode(settings.llm_planner_mode, endpoint) == "decomposed":
        return DecomposedLLMPlanner(
            client,
            model=endpoint.model,
            kind=endpoint.kind,
            config=config,
            plugins=plugins if plugins is not None else installed_tool_plugins(),
        )
    return LLMPlanner(
        client,
        model=endpoint.model,
        tools=tools.describe(),
        config=config,
        plugins=plugins if plugins is not None else installed_tool_plugins(),
    )


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
    from crane_bench.runtime.planners.pattern import PatternPlanner  # noqa: PLC0415
    from crane_bench.runtime.tools.registry import installed_tool_plugins  # noqa: PLC0415

    plugins = installed_tool_plugins()
    if not planner_needs_llm(name):
        yield PatternPlanner(plugins)
        return
    from crane_bench.runtime.local_llm import make_openai_client, open_endpoint  # noqa: PLC0415
    from crane_bench.runtime.planners.hybrid import HybridPlanner  # noqa: PLC0415
    from crane_bench.runtime.tools import default_tools  # noqa: PLC0415

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
        llm = build_llm_planner(client, endpoint, settings, tools, plugins)
        if name == "llm":
            yield llm
        else:
            yield HybridPlanner(
                llm=llm,
                pattern=PatternPlanner(plugins),
                tools=tools,
                strategy=settings.hybrid_strategy,
                deadline_s=llm.config.plan_deadline_s,
                plugins=plugins,
            )
    finally:
        await client.close()


@asynccontextmanager
async def open_spec_planner(
    spec: PlannerSpec,
    settings: Settings,
    *,
    endpoint: LLMEndpoint | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Planner]:
    """Yield the planner a spec describes (`runtime.planners.specs`).

    Args:
        spec: The parsed spec.
        settings: The process-wide settings; the spec's parameters override them.
        endpoint: The endpoint opened for this spec's settings (see `open_planner`).
        transport: HTTP transport for the model client.

    Raises:
        ConfigError: A user planner cannot be loaded.
    """
    if spec.kind == "user":
        from crane_bench.runtime.planners.user import load_user_planner  # noqa: PLC0415

        yield load_user_planner(spec.target or "", spec.text)
        return
    async with open_planner(
        spec.builtin_name, spec.settings_for(settings), endpoint=endpoint, transport=transport
    ) as planner:
        yield planner


class LabelledPlanner:
    """A planner whose plans name its label (`PlanMeta.planner`), not its kind.

    The service counts runs, latencies and tokens by `PlanMeta.planner` (the Prometheus
    `planner` label): two specs of one kind, `hybrid[strategy=llm-first]` and
    `hybrid[strategy=pattern-first]`, must not share a series.
    """

    def __init__(self, planner: Planner, label: str) -> None:
        self.inner = planner
        self.name = label

    async def plan(self, prompt: str) -> PlanResult:
        """The inner planner's plan, its metadata naming the label."""
        result = await self.inner.plan(prompt)
        return result.model_copy(
            update={"meta": result.meta.model_copy(update={"planner": self.name})}
        )
