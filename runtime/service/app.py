"""`create_app`: the FastAPI app of the runtime, with its planners opened in the lifespan.

Start it with `crane-bench serve`, or with uvicorn directly:
`uvicorn crane_bench.runtime.service.app:create_app_from_env --factory`. With `--workers N` every
worker process builds its own app: they share the run store (`RUN_STORE_URL`), each has
its own metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from crane_bench.runtime.agent import Agent, ToolsFactory
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import LLMEndpoint, check_endpoint, open_endpoint
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.endpoints import EndpointPool, endpoint_key
from crane_bench.runtime.planners.factory import (
    LabelledPlanner,
    open_planner,
    open_spec_planner,
    planner_needs_llm,
)
from crane_bench.runtime.planners.specs import PlannerSpec, parse_specs
from crane_bench.runtime.service import api_health, api_runs
from crane_bench.runtime.service.body_limit import BodyLimitMiddleware
from crane_bench.runtime.service.executor import RunExecutor
from crane_bench.runtime.service.handlers import add_error_handlers
from crane_bench.runtime.service.metrics import ServiceMetrics
from crane_bench.runtime.service.settings import RunStoreSettings, ServiceSettings
from crane_bench.runtime.service.shutdown import DrainOnSignal, run_grace_s
from crane_bench.runtime.service.state import ServiceState
from crane_bench.runtime.service.store import RunStore, recover_every
from crane_bench.runtime.service.store_url import check_store, open_store, redacted
from crane_bench.runtime.settings import PlannerName, Settings
from crane_bench.runtime.tools import default_tools

logger = logging.getLogger(__name__)

LLM_PLANNERS: tuple[PlannerName, ...] = ("llm", "hybrid")


def create_app(
    settings: Settings | None = None,
    service: ServiceSettings | None = None,
    *,
    store: RunStore | None = None,
    store_settings: RunStoreSettings | None = None,
    metrics: ServiceMetrics | None = None,
    planners: Mapping[str, Planner] | None = None,
    tools: ToolsFactory | None = None,
) -> FastAPI:
    """Build the service.

    Args:
        settings: Runtime settings (default planner, timeouts); read from the env when None.
        service: Service settings (store bound, admission, drain); from the env when None.
        store: Where runs live; the one `store_settings` names when None. The lifespan
            opens it (and closes only a store it made).
        store_settings: Which store (`RUN_STORE_URL`); read from the env when None.
        metrics: The app's metrics; when None, a fresh registry that knows the tools.
        planners: Ready planners by name (tests). When None, the lifespan opens the
            planner specs of `service.planners` (by label, the first the default), or
            else `pattern`, plus `llm` and `hybrid` when `settings.planner` needs a model
            or an LLM endpoint is configured, and closes them on shutdown.
        tools: Builds each run's tools; `runtime.tools.default_tools` when None.

    Raises:
        ConfigError: When `planners` is None, what `check_startup` refuses.
    """
    settings = settings if settings is not None else Settings()
    service = service if service is not None else ServiceSettings()
    own_store = store is None
    if store is None:
        store_settings = store_settings if store_settings is not None else RunStoreSettings()
        store = open_store(store_settings, service.max_finished_runs)
        logger.debug("run store: %s", redacted(store_settings.url))
    specs = parse_specs(service.planners) if service.planners and planners is None else None
    if planners is None:
        check_startup(settings, service, store_settings if own_store else None)
    make_tools = tools if tools is not None else default_tools
    state = ServiceState(
        default_planner=specs[0].label if specs else settings.planner,
        settings=settings,
        service=service,
        store=store,
        metrics=metrics if metrics is not None else ServiceMetrics(tools=make_tools()),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await state.store.open()
            if own_store:
                stack.push_async_callback(state.store.close)
            recovering = asyncio.get_running_loop().create_task(recover_every(state.store))
            stack.callback(recovering.cancel)
            if planners is not None:
                opened = dict(planners)
            elif specs is not None:
                opened = await _open_specs(stack, state, specs)
            else:
                opened = await _open(stack, state)
            orchestrator = Orchestrator(
                OrchestratorConfig.from_settings(settings), on_retry=state.metrics.step_retried
            )
            state.planners = sorted(opened)
            executor = state.executor = RunExecutor(
                {name: Agent(p, orchestrator, make_tools) for name, p in opened.items()},
                state.store,
                state.metrics,
                default_planner=state.default_planner,
                run_timeout_s=settings.run_timeout_s,
                max_in_flight=service.max_in_flight,
            )
            grace = run_grace_s(service.drain_timeout_s)
            on_signal = DrainOnSignal(lambda: executor.drain(grace))
            on_signal.install()
            try:
                yield
            finally:
                on_signal.uninstall()
                await executor.drain(grace)

    app = FastAPI(
        title="Crane Bench runtime",
        version=state.version,
        description="Plans a prompt into tool calls and executes them. Runs, health, metrics.",
        lifespan=lifespan,
    )
    app.state.service = state
    app.add_middleware(BodyLimitMiddleware, max_bytes=service.max_body_bytes)
    app.include_router(api_runs.router)
    app.include_router(api_health.router)
    app.include_router(api_health.metrics_router)
    add_error_handlers(app)
    return app


def create_app_from_env() -> FastAPI:
    """The app as the environment configures it; uvicorn's factory for `--workers N`."""
    return create_app(Settings(), ServiceSettings(), store_settings=RunStoreSettings())


def check_startup(
    settings: Settings, service: ServiceSettings, store: RunStoreSettings | None = None
) -> None:
    """Refuse, before the server starts, the settings its lifespan could not open.

    uvicorn shows an error raised in the lifespan as a traceback and exits 3 (with
    several workers: a traceback per worker, and exit 0); raised here, before uvicorn
    runs, it is one line. Nothing is started, written or asked over the network.

    Raises:
        ConfigError: A planner spec is bad; or the LLM planners would open and the run
            timeout would cut off a model call before it ran out of attempts (see
            `check_run_timeout`), or a local model or the program that would serve it
            cannot be found (`LOCAL_MODEL`, `LOCAL_SERVER`, `LOCAL_SERVER_BIN`; see
            `check_endpoint`); or the run store `store` names cannot serve (see
            `check_store`).
    """
    if store is not None:
        check_store(store.url, workers=service.workers)
    if service.planners:
        specs = parse_specs(service.planners)
        wanted = [spec.settings_for(settings) for spec in specs if spec.needs_llm]
    else:
        wanted = [settings] if _opens_llm(settings) else []
    if wanted:
        check_run_timeout(settings)
    # One check per endpoint, as the lifespan opens one per endpoint (EndpointPool).
    for own in {endpoint_key(own): own for own in wanted}.values():
        check_endpoint(own)


def check_run_timeout(settings: Settings) -> None:
    """Refuse a run timeout that would pre-empt the LLM planners' own deadline.

    The hybrid planner falls back to the rules when the model fails for good or a plan
    overruns its deadline (`LLM_PLAN_TIMEOUT_S`, by default `LLM_TIMEOUT_S` x attempts
    plus the backoff waits, shared by every call of one plan). A run timeout no longer
    than that ends the run first, so the fallback could never happen.

    Raises:
        ConfigError: `RUN_TIMEOUT_S` is not longer than one plan's deadline.
    """
    budget = settings.llm_plan_deadline_s
    if settings.run_timeout_s <= budget:
        raise ConfigError(
            f"RUN_TIMEOUT_S={settings.run_timeout_s:g} is too short for the LLM planners: one "
            f"plan may take {budget:g} s (LLM_PLAN_TIMEOUT_S, or LLM_TIMEOUT_S="
            f"{settings.llm_timeout_s:g} x {settings.llm_max_retries + 1} attempts plus "
            "backoff), and the "
            "run timeout would cut off the hybrid's fallback; raise RUN_TIMEOUT_S above it or "
            "lower LLM_PLAN_TIMEOUT_S, LLM_TIMEOUT_S or LLM_MAX_RETRIES"
        )


def _opens_llm(settings: Settings) -> bool:
    """True when `_open` opens the LLM planners for these settings."""
    return planner_needs_llm(settings.planner) or not settings.uses_local_model()


async def _open(stack: AsyncExitStack, state: ServiceState) -> dict[str, Planner]:
    """Open the planners this server offers; LLM planners share one endpoint."""
    settings = state.settings
    opened: dict[str, Planner] = {
        "pattern": await stack.enter_async_context(open_planner("pattern", settings))
    }
    if not _opens_llm(settings):
        return opened
    endpoint = await stack.enter_async_context(open_endpoint(settings))
    for name in LLM_PLANNERS:
        opened[name] = await stack.enter_async_context(
            open_planner(name, settings, endpoint=endpoint)
        )
    await _watch_endpoint(stack, state, endpoint)
    logger.info("planners open: %s (LLM endpoint %s)", ", ".join(opened), endpoint.base_url)
    return opened


async def _open_specs(
    stack: AsyncExitStack, state: ServiceState, specs: tuple[PlannerSpec, ...]
) -> dict[str, Planner]:
    """Open the planners of `specs` by label; specs naming the same model share it."""
    pool = EndpointPool(stack, state.settings)
    opened: dict[str, Planner] = {}
    for spec in specs:
        endpoint = await pool.open_for(spec)
        planner = await stack.enter_async_context(
            open_spec_planner(spec, state.settings, endpoint=endpoint)
        )
        opened[spec.label] = LabelledPlanner(planner, spec.label)
    if pool.by_key:  # the health check probes the first one
        await _watch_endpoint(stack, state, next(iter(pool.by_key.values())))
    logger.info("planners open: %s", ", ".join(opened))
    return opened


async def _watch_endpoint(
    stack: AsyncExitStack, state: ServiceState, endpoint: LLMEndpoint
) -> None:
    """Let the health check reach `endpoint` (with its key, never logged)."""
    state.endpoint = endpoint
    headers = {}
    if endpoint.api_key is not None:
        headers["Authorization"] = f"Bearer {endpoint.api_key.get_secret_value()}"
    state.llm_probe = await stack.enter_async_context(
        httpx.AsyncClient(timeout=state.service.llm_check_timeout_s, headers=headers)
    )
