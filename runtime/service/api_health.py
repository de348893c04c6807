"""Health probes, the JSON metrics digest, and the Prometheus `/metrics` exposition."""

from __future__ import annotations

import time

import httpx
from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST

from crane_bench.runtime.service.deps import MetricsDep, StateDep
from crane_bench.runtime.service.schemas import HealthReport, LLMHealth, MetricsSummary, ProbeStatus
from crane_bench.runtime.service.state import ServiceState

router = APIRouter(prefix="/api/v1/health", tags=["health"])
metrics_router = APIRouter(tags=["metrics"])


@router.get("", response_model=HealthReport, summary="Health of the service")
async def health(state: StateDep) -> HealthReport:
    """Version, planners, runs in flight, and whether the LLM endpoint answers right now."""
    llm = await probe_llm(state)
    ok = state.ready and llm.reachable is not False
    return HealthReport(
        status="ok" if ok else "degraded",
        version=state.version,
        planner=state.default_planner,
        planners=state.planners,
        llm=llm,
        runs_in_flight=state.executor.in_flight if state.executor else 0,
        uptime_s=round(time.monotonic() - state.started, 3),
    )


@router.get("/liveness", response_model=ProbeStatus, summary="Liveness probe")
async def liveness() -> ProbeStatus:
    """Always `alive` while the process serves requests."""
    return ProbeStatus(status="alive")


@router.get(
    "/readiness",
    response_model=ProbeStatus,
    responses={503: {"model": ProbeStatus, "description": "Starting or shutting down."}},
    summary="Readiness probe",
)
async def readiness(state: StateDep, response: Response) -> ProbeStatus:
    """`ready` while runs are accepted; 503 while starting up or draining on shutdown."""
    if state.ready:
        return ProbeStatus(status="ready")
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    detail = "shutting down" if state.executor is not None else "not started"
    return ProbeStatus(status="not_ready", detail=detail)


@router.get("/metrics", response_model=MetricsSummary, summary="Metrics as JSON")
async def metrics_summary(metrics: MetricsDep) -> MetricsSummary:
    """Success rates, per-tool and per-planner usage, averages (this process only)."""
    return metrics.summary()


@metrics_router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def prometheus_metrics(metrics: MetricsDep) -> Response:
    """The Prometheus text exposition of this process's metrics."""
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def probe_llm(state: ServiceState) -> LLMHealth:
    """Whether the LLM endpoint serves right now, asked where it answers at once.

    llama-server answers `GET /health` on its HTTP threads while every slot decodes, so
    a busy server is `ok` and a server that is down or still loading is not. Other
    servers are asked for their model list, where any answer below 500 counts; on
    llama-cpp-python that list waits behind the completion in progress.
    """
    endpoint, client = state.endpoint, state.llm_probe
    if endpoint is None or client is None:
        return LLMHealth(configured=False)
    report = LLMHealth(configured=True, base_url=endpoint.base_url, model=endpoint.model)
    base = endpoint.base_url.rstrip("/")
    if endpoint.server == "llama-server":
        url, bad_from = base.removesuffix("/v1") + "/health", 300
    else:
        url, bad_from = base + "/models", 500
    try:
        answer = await client.get(url)
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return report.model_copy(update={"reachable": False, "detail": detail})
    if answer.status_code >= bad_from:
        return report.model_copy(
            update={"reachable": False, "detail": f"HTTP {answer.status_code}"}
        )
    return report.model_copy(update={"reachable": True})
